"""A real WordPress (Debian's package, with the Akismet plugin it ships) on its own Apache and a fresh MariaDB
database, pointed at the service by our connector, and a headless chromium to use it as visitors and admins do.

Everything runs on free ports under a temporary folder: the system's Apache site, /etc/wordpress and the
packaged WordPress are only read. tests/e2e/install-wordpress-deps.sh installs the packages (.ci/run calls it).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service import create_app
from tests.conftest import MODERATOR_KEY, SECRET_KEY

WORDPRESS = Path("/usr/share/wordpress")
AKISMET = WORDPRESS / "wp-content/plugins/akismet"
THEME = WORDPRESS / "wp-content/themes/twentytwentyone"
APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
CHROMIUM = Path("/usr/bin/chromium")
CONNECTOR = Path(__file__).resolve().parents[2] / "integrations/wordpress/comment-moderation.php"
MARIADB = ("127.0.0.1", 3306)
ADMIN_USER, ADMIN_PASSWORD = "editor", "e2e-" + secrets.token_hex(8)
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require(condition: bool, reason: str) -> None:
    """Skip with a one-line reason on a user's machine without the part; fail on CI, which must have it."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the WordPress test: {reason} (tests/e2e/install-wordpress-deps.sh)")
        pytest.skip(f"{reason}; run tests/e2e/install-wordpress-deps.sh")


def reachable(address: tuple[str, int]) -> bool:
    """Whether something listens there."""
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mysql(sql: str, database: str | None = None) -> str:
    """Run SQL on the machine's MariaDB as root; its tab-separated output."""
    command = ["mysql", "-h", MARIADB[0], "-P", str(MARIADB[1]), "-u", "root", "-N", "-B", "-e", sql]
    return subprocess.run(command + ([database] if database else []), check=True, capture_output=True,
                          text=True, timeout=60).stdout


def php(script: str, cwd: Path) -> str:
    """Run PHP code with the WordPress copy loaded."""
    result = subprocess.run(["php", "-r", script], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def requirements():
    """Every real part the test needs, or a skip (a failure on CI)."""
    require(WORDPRESS.joinpath("wp-load.php").exists() and AKISMET.exists(), "WordPress is not installed")
    require(THEME.exists(), "the twentytwentyone theme is not installed")
    require(APACHE.exists() and MODULES.joinpath("libphp8.2.so").exists(), "Apache with PHP is not installed")
    require(shutil.which("php") is not None and shutil.which("mysql") is not None, "php or mysql is missing")
    require(CHROMIUM.exists(), "chromium is not installed")
    require(reachable(MARIADB), "MariaDB does not answer on 127.0.0.1:3306")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the playwright package is not installed (pip install -e '.[dev]')")


@dataclass
class Service:
    """The moderation service under test, served over HTTP."""

    url: str
    site_key: str
    app: object


@pytest.fixture(scope="module")
def service(requirements, tmp_path_factory, trained_store, migrated_database, small_data_dir):
    """The app on a free port in a thread, with its own database and model store, and a 12-hex Akismet key."""
    root = tmp_path_factory.mktemp("service")
    shutil.copyfile(migrated_database, root / "moderation.db")
    shutil.copytree(trained_store.root, root / "models")
    site_key = secrets.token_hex(6)
    app = create_app({
        # The session's models are signed with the tests' secret, which the service checks.
        "TESTING": True, "SECRET_KEY": SECRET_KEY, "DATABASE_URL": f"sqlite:///{root / 'moderation.db'}",
        "MODEL_DIR": str(root / "models"), "SITE_KEYS": [site_key], "MODERATOR_KEYS": [MODERATOR_KEY],
        "MODEL_CHECK_SECONDS": 0.0, "TRAINING_DATA_DIR": str(small_data_dir),
    })
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Service(url=f"http://127.0.0.1:{port}", site_key=site_key, app=app)
    server.shutdown()
    thread.join(timeout=10)


APACHE_CONFIG = """\
ServerRoot {root}
PidFile {root}/apache.pid
DefaultRuntimeDir {root}
Listen 127.0.0.1:{port}
ServerName 127.0.0.1
{user}
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule php_module {modules}/libphp8.2.so
StartServers 3
MaxRequestWorkers 10
TypesConfig /etc/mime.types
ErrorLog {root}/error.log
LogLevel warn
DocumentRoot {docroot}
DirectoryIndex index.php index.html
<Directory />
    Require all denied
</Directory>
<Directory {docroot}>
    Require all granted
    AllowOverride None
</Directory>
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
"""

WP_CONFIG = """<?php
define( 'DB_NAME', '{database}' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:3306' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'WP_HOME', '{url}' );
define( 'WP_SITEURL', '{url}' );
define( 'AUTH_KEY', '{salt}' ); define( 'SECURE_AUTH_KEY', '{salt}' ); define( 'LOGGED_IN_KEY', '{salt}' );
define( 'NONCE_KEY', '{salt}' ); define( 'AUTH_SALT', '{salt}' ); define( 'SECURE_AUTH_SALT', '{salt}' );
define( 'LOGGED_IN_SALT', '{salt}' ); define( 'NONCE_SALT', '{salt}' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'MODERATION_SERVICE_URL', '{service}' );
define( 'MODERATION_MODERATOR_KEY', '{moderator_key}' );
$table_prefix = 'wp_';
if ( ! defined( 'ABSPATH' ) ) {{ define( 'ABSPATH', __DIR__ . '/' ); }}
require_once ABSPATH . 'wp-settings.php';
"""

SETUP = """
define( 'WP_INSTALLING', true );
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install( 'The Daily Example', '{user}', 'editor@example.org', true, '', '{password}' );
update_option( 'template', 'twentytwentyone' );
update_option( 'stylesheet', 'twentytwentyone' );
update_option( 'active_plugins', array( 'akismet/akismet.php' ) );
// Accepted comments are published at once; WordPress's default holds every first-time commenter.
update_option( 'comment_previously_approved', 0 );
update_option( 'comment_moderation', 0 );
update_option( 'comment_max_links', 10 );
$post = wp_insert_post( array( 'post_title' => 'Council publishes the 2027 budget', 'post_status' => 'publish',
    'post_content' => 'The council will vote on the budget on Thursday.', 'comment_status' => 'open' ) );
echo $post;
"""


@dataclass
class Site:
    """The WordPress site: its address, the post visitors comment on, its database."""

    url: str
    post_id: int
    database: str
    root: Path

    @property
    def post_url(self) -> str:
        return f"{self.url}/?p={self.post_id}"

    def comment_status(self, text: str) -> str | None:
        """comment_approved of the comment with this text ('1', '0', 'spam', 'trash'), None if WordPress has none."""
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        rows = mysql(f"SELECT comment_approved FROM wp_comments WHERE comment_content = '{escaped}'", self.database)
        return rows.strip() or None

    def comment_id(self, text: str) -> int:
        """WordPress's id of the comment with this text."""
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        return int(mysql(f"SELECT comment_ID FROM wp_comments WHERE comment_content = '{escaped}'", self.database))

    def comment_meta(self, text: str, key: str) -> str:
        """A meta value of the comment with this text."""
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        return mysql(f"SELECT m.meta_value FROM wp_commentmeta m JOIN wp_comments c USING (comment_id) "
                     f"WHERE c.comment_content = '{escaped}' AND m.meta_key = '{key}'", self.database).strip()


def wait_for(url: str, seconds: float = 60) -> None:
    """Wait until url answers (any status)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture(scope="module")
def site(service):
    """WordPress on its own Apache and database, with Akismet active and the connector as a must-use plugin."""
    root = Path(tempfile.mkdtemp(prefix="wordpress-e2e-"))
    # Apache drops root for www-data, which must read the copy and write its uploads.
    root.chmod(0o755)
    docroot = root / "wordpress"
    # A copy, not symlinks: PHP resolves __FILE__ through links and would load Debian's /etc-based config.
    shutil.copytree(WORDPRESS, docroot, symlinks=False, ignore=shutil.ignore_patterns("wp-config.php", ".htaccess"))
    (docroot / "wp-content/mu-plugins").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONNECTOR, docroot / "wp-content/mu-plugins/comment-moderation.php")
    # Every visitor here comes from 127.0.0.1: WordPress's own 15-second flood check would refuse the second.
    (docroot / "wp-content/mu-plugins/e2e-one-address.php").write_text(
        "<?php add_filter( 'wp_is_comment_flood', '__return_false', 20 );\n")
    (docroot / "wp-content/uploads").mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = f"wp_e2e_{secrets.token_hex(4)}"
    mysql(f"CREATE DATABASE {database} CHARACTER SET utf8mb4")
    (docroot / "wp-config.php").write_text(WP_CONFIG.format(
        database=database, url=url, salt=secrets.token_hex(32), service=service.url, moderator_key=MODERATOR_KEY))
    running_as_root = os.geteuid() == 0
    if running_as_root:
        shutil.chown(docroot / "wp-content/uploads", "www-data", "www-data")
    (root / "apache.conf").write_text(APACHE_CONFIG.format(
        root=root, port=port, modules=MODULES, docroot=docroot,
        user="User www-data\nGroup www-data" if running_as_root else ""))
    apache = None
    try:
        post_id = int(php(SETUP.format(user=ADMIN_USER, password=ADMIN_PASSWORD), docroot).strip().splitlines()[-1])
        # A session of its own: on shutdown Apache signals its whole process group, which would otherwise be
        # pytest's.
        apache = subprocess.Popen([str(APACHE), "-f", str(root / "apache.conf"), "-DFOREGROUND"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(url + "/")
        yield Site(url=url, post_id=post_id, database=database, root=root)
    finally:
        if apache is not None:
            apache.terminate()
            try:
                apache.wait(timeout=20)
            except subprocess.TimeoutExpired:
                apache.kill()
        mysql(f"DROP DATABASE IF EXISTS {database}")
        if os.environ.get("WORDPRESS_E2E_KEEP"):
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(requirements):
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def admin(browser, site, service):
    """A signed-in administrator's page, who has entered the service's 12-hex key on Akismet's settings screen."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{site.url}/wp-login.php")
    page.fill("#user_login", ADMIN_USER)
    page.fill("#user_pass", ADMIN_PASSWORD)
    page.click("#wp-submit")
    page.wait_for_url("**/wp-admin/**")
    page.goto(f"{site.url}/wp-admin/options-general.php?page=akismet-key-config")
    page.click("text=Manually enter an API key")
    page.fill(".enter-api-key input#key", service.site_key)
    with page.expect_navigation():
        page.click(".enter-api-key input[type=submit]")
    yield page
    context.close()
