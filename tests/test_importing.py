"""`moderation import`: a site's history from a WordPress export, WordPress's database and a Disqus export, each
written (or inserted) by the test, validated like API input and stored as labels of one import batch."""

from __future__ import annotations

import os
import re
import uuid
from xml.sax.saxutils import escape

import pytest

from moderation.cli import main
from moderation.store import Database
from moderation.store import labels as labels_repo

MARIADB = os.environ.get("MODERATION_TEST_MARIADB", "mysql://root@127.0.0.1:3306")


def _labels(instance) -> list[tuple[str, str, str, str, int | None, int | None, str | None]]:
    """Every stored label as (comment, name, email, url, spam, toxic, category), sorted by comment; all of them
    imports."""
    with Database(f"sqlite:///{instance / 'moderation.db'}").reading() as connection:
        stored = labels_repo.every(connection)
    assert {label.provenance for label in stored} <= {"import"}
    return sorted((e.comment, e.name, e.email, e.url, None if e.spam is None else int(e.spam),
                   None if e.toxic is None else int(e.toxic), e.category) for e in stored)


# (comment id, approved, type, author, email, url, ip, content): one of each status WordPress keeps, a pingback,
# a comment with an email that cannot be valid and one whose author URL is junk.
WORDPRESS_COMMENTS = [
    (1, "1", "comment", "Ann Reader", "ann@example.org", "", "203.0.113.5",
     "The council should publish the flood budget <b>before</b> the vote."),
    (2, "spam", "", "Best Plumber Casablanca", "seo@plumber-deals.example", "https://plumber-deals.example",
     "198.51.100.7", "Great post, thanks. <a href=\"https://plumber-deals.example\">plumber in Casablanca</a>"),
    (3, "0", "comment", "Tom", "tom@example.org", "", "203.0.113.9", "Is the road to the port open again?"),
    (4, "trash", "comment", "Vic", "vic@example.org", "", "203.0.113.10", "You people are all idiots."),
    (5, "1", "pingback", "Some Blog", "", "https://blog.example/post", "192.0.2.1", "[...] as reported here [...]"),
    (6, "1", "comment", "Lee", "not an address", "", "203.0.113.11", "Thanks for the clear explanation."),
    (7, "spam", "comment", "Kim", "kim@example.org", "javascript:alert(1)", "not-an-ip",
     "Airline customer service number 1-800-555-0199 call now"),
]


def wxr(comments=WORDPRESS_COMMENTS) -> str:
    """A WordPress export (WXR 1.2) of one post carrying the comments, as Tools → Export writes it."""
    items = "".join(
        f"""
      <wp:comment>
        <wp:comment_id>{cid}</wp:comment_id>
        <wp:comment_author><![CDATA[{author}]]></wp:comment_author>
        <wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>
        <wp:comment_author_url>{escape(url)}</wp:comment_author_url>
        <wp:comment_author_IP><![CDATA[{ip}]]></wp:comment_author_IP>
        <wp:comment_date><![CDATA[2024-03-01 10:00:00]]></wp:comment_date>
        <wp:comment_date_gmt><![CDATA[2024-03-01 09:00:00]]></wp:comment_date_gmt>
        <wp:comment_content><![CDATA[{content}]]></wp:comment_content>
        <wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
        <wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
        <wp:comment_parent>0</wp:comment_parent>
        <wp:comment_user_id>0</wp:comment_user_id>
      </wp:comment>""" for cid, approved, kind, author, email, url, ip, content in comments)
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Seed News</title>
  <link>https://news.example</link>
  <wp:wxr_version>1.2</wp:wxr_version>
  <item>
    <title>Flood budget</title>
    <link>https://news.example/2024/03/flood-budget/</link>
    <dc:creator><![CDATA[editor]]></dc:creator>
    <content:encoded><![CDATA[<p>The article.</p>]]></content:encoded>
    <wp:post_id>42</wp:post_id>
    <wp:post_type><![CDATA[post]]></wp:post_type>{items}
  </item>
</channel>
</rss>
"""


ANN = ("The council should publish the flood budget <b>before</b> the vote.", "Ann Reader", "ann@example.org", "",
       0, 0, None)
PLUMBER = ("Great post, thanks. <a href=\"https://plumber-deals.example\">plumber in Casablanca</a>",
           "Best Plumber Casablanca", "seo@plumber-deals.example", "https://plumber-deals.example", 1, None, None)
AIRLINE = ("Airline customer service number 1-800-555-0199 call now", "Kim", "kim@example.org", "", 1, None, None)
TOM = ("Is the road to the port open again?", "Tom", "tom@example.org", "")
VIC = ("You people are all idiots.", "Vic", "vic@example.org", "")


@pytest.mark.parametrize(("options", "expected"), [
    ([], [ANN, PLUMBER, AIRLINE]),
    (["--pending", "acceptable", "--trash", "toxic"], [ANN, PLUMBER, AIRLINE, (*TOM, 0, 0, None),
                                                       (*VIC, 0, 1, "other")]),
    (["--pending", "spam", "--trash", "spam"], [ANN, PLUMBER, AIRLINE, (*TOM, 1, None, None),
                                                (*VIC, 1, None, None)]),
], ids=["default: pending and trash unlabelled", "pending acceptable, trash toxic", "both spam"])
def test_wordpress_export_maps_statuses_validates_and_reports_every_rejected_comment(instance, tmp_path, capsys,
                                                                                    options, expected):
    path = tmp_path / "seednews.WordPress.2024-03-01.xml"
    path.write_text(wxr())
    assert main(["import", str(path), "--format", "wxr", *options]) == 0
    out, err = capsys.readouterr()
    assert _labels(instance) == sorted(expected)
    assert f"imported {len(expected)} labelled comments" in out
    # The pingback is not a reader's comment; without a flag, pending and trash say nothing.
    skipped = 1 + (2 if not options else 0)
    assert f"1 rejected, {skipped} without a label skipped" in out
    assert re.search(r"rejected seednews\.WordPress\.2024-03-01\.xml: comment 6: email: .+", err)
    assert "comment 7" not in err, "a junk author URL or IP is dropped, the comment and its label kept"


def test_import_batches_are_listed_counted_and_removed(instance, tmp_path, capsys):
    path = tmp_path / "export.xml"
    path.write_text(wxr())
    assert main(["import", str(path), "--format", "wxr", "--trash", "toxic"]) == 0
    batch = re.search(r"as batch (\w+)", capsys.readouterr().out).group(1)
    assert main(["imports"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split("\t") == ["batch", "created", "format", "source", "labels", "acceptable", "spam",
                                      "toxic", "rejected", "skipped"]
    row = listing[1].split("\t")
    assert row[0] == batch and row[2:] == ["wxr", str(path), "4", "1", "2", "1", "1", "2"]
    assert main(["imports", "remove", batch]) == 0
    assert "its 4 labels" in capsys.readouterr().out
    assert _labels(instance) == []
    assert main(["imports"]) == 0 and len(capsys.readouterr().out.splitlines()) == 1
    assert main(["imports", "remove", batch]) == 2


def test_a_broken_export_imports_nothing(instance, tmp_path, capsys):
    path = tmp_path / "broken.xml"
    path.write_text(wxr()[:-40])
    assert main(["import", str(path), "--format", "wxr"]) == 2
    assert "not well-formed XML" in capsys.readouterr().err
    assert _labels(instance) == []
    assert main(["imports"]) == 0 and len(capsys.readouterr().out.splitlines()) == 1


def test_an_export_that_declares_entities_is_refused(instance, tmp_path, capsys):
    path = tmp_path / "entities.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]><rss>&a;</rss>')
    assert main(["import", str(path), "--format", "wxr"]) == 2
    assert "declares entities" in capsys.readouterr().err


DISQUS = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <category dsq:id="1"><forum>seednews</forum><title>General</title><isDefault>true</isDefault></category>
  <thread dsq:id="7001">
    <id/><forum>seednews</forum><category dsq:id="1"/>
    <link>https://news.example/2024/03/flood-budget/</link><title>Flood budget</title>
    <createdAt>2024-03-01T09:00:00Z</createdAt>
    <author><name>Editor</name><isAnonymous>false</isAnonymous><username>editor</username></author>
    <isClosed>false</isClosed><isDeleted>false</isDeleted>
  </thread>
  <post dsq:id="9001">
    <id/><message><![CDATA[<p>My photos of the flooded street, taken this morning: <a
      href="https://photos.example/tom/flood" rel="nofollow noopener">photos.example/tom/flood</a></p><p>The
      drains were blocked again.</p>]]></message>
    <createdAt>2024-03-01T10:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email>tom@example.org</email><name>Tom</name><isAnonymous>false</isAnonymous><username>tom</username></author>
    <ipAddress>203.0.113.9</ipAddress><thread dsq:id="7001"/>
  </post>
  <post dsq:id="9002">
    <id/><message><![CDATA[<p>Very informative, thanks for sharing &amp; keep it up</p>]]></message>
    <createdAt>2024-03-01T11:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>true</isSpam>
    <author><email>essays@writers-help.example</email><name>Essay Writing Service UK</name>
      <isAnonymous>false</isAnonymous></author>
    <ipAddress>198.51.100.7</ipAddress><thread dsq:id="7001"/>
  </post>
  <post dsq:id="9003">
    <id/><message><![CDATA[<p>Deleted by its author.</p>]]></message>
    <createdAt>2024-03-01T12:00:00Z</createdAt><isDeleted>true</isDeleted><isSpam>false</isSpam>
    <author><email>sam@example.org</email><name>Sam</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>203.0.113.12</ipAddress><thread dsq:id="7001"/>
  </post>
  <post dsq:id="9004">
    <id/><message><![CDATA[   ]]></message>
    <createdAt>2024-03-01T13:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email>nobody@example.org</email><name>Nobody</name><isAnonymous>false</isAnonymous></author>
    <thread dsq:id="7001"/>
  </post>
</disqus>
"""


def test_disqus_export_reads_spam_deleted_and_html_messages(instance, tmp_path, capsys):
    path = tmp_path / "seednews-2024-03-01T00_00_00.all.xml"
    path.write_text(DISQUS)
    assert main(["import", str(path), "--format", "disqus"]) == 0
    out, err = capsys.readouterr()
    assert _labels(instance) == sorted([
        ("My photos of the flooded street, taken this morning: https://photos.example/tom/flood\nThe\n      "
         "drains were blocked again.", "Tom", "tom@example.org", "", 0, 0, None),
        ("Very informative, thanks for sharing & keep it up", "Essay Writing Service UK",
         "essays@writers-help.example", "", 1, None, None),
    ])
    assert "1 rejected, 1 without a label skipped" in out
    assert "post 9004: comment: Must be 1 to 10000 characters after trimming." in err
    assert main(["import", str(path), "--format", "disqus", "--trash", "acceptable"]) == 0
    assert ("Deleted by its author.", "Sam", "sam@example.org", "", 0, 0, None) in _labels(instance)


@pytest.fixture
def wordpress_database():
    """A WordPress database on the MariaDB server, holding wp_posts and wp_comments as WordPress creates them;
    skipped without a server, except in CI, where the server is part of the machine."""
    pymysql = pytest.importorskip("pymysql")
    host, port = MARIADB.split("//", 1)[1].split("@")[-1].split(":")
    try:
        admin = pymysql.connect(host=host, port=int(port), user="root", password="", connect_timeout=3,
                                autocommit=True)
    except pymysql.MySQLError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the MariaDB server at {MARIADB}: {error}")
        pytest.skip(f"no MariaDB server at {MARIADB}: {error}")
    name = f"wp_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cursor.execute(f"USE `{name}`")
        cursor.execute("""CREATE TABLE wp_posts (ID bigint(20) unsigned NOT NULL AUTO_INCREMENT,
            guid varchar(255) NOT NULL DEFAULT '', post_title text NOT NULL, PRIMARY KEY (ID))""")
        cursor.execute("""CREATE TABLE wp_comments (
            comment_ID bigint(20) unsigned NOT NULL AUTO_INCREMENT,
            comment_post_ID bigint(20) unsigned NOT NULL DEFAULT 0,
            comment_author tinytext NOT NULL, comment_author_email varchar(100) NOT NULL DEFAULT '',
            comment_author_url varchar(200) NOT NULL DEFAULT '', comment_author_IP varchar(100) NOT NULL DEFAULT '',
            comment_date datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            comment_date_gmt datetime NOT NULL DEFAULT '2000-01-01 00:00:00', comment_content text NOT NULL,
            comment_karma int(11) NOT NULL DEFAULT 0, comment_approved varchar(20) NOT NULL DEFAULT '1',
            comment_agent varchar(255) NOT NULL DEFAULT '', comment_type varchar(20) NOT NULL DEFAULT 'comment',
            comment_parent bigint(20) unsigned NOT NULL DEFAULT 0, user_id bigint(20) unsigned NOT NULL DEFAULT 0,
            PRIMARY KEY (comment_ID)) DEFAULT CHARSET=utf8mb4""")
        cursor.execute("INSERT INTO wp_posts (ID, guid, post_title) VALUES (42, 'https://news.example/?p=42', 'x')")
        cursor.executemany(
            "INSERT INTO wp_comments (comment_ID, comment_post_ID, comment_author, comment_author_email, "
            "comment_author_url, comment_author_IP, comment_content, comment_approved, comment_type, comment_agent) "
            "VALUES (%s, 42, %s, %s, %s, %s, %s, %s, %s, 'Mozilla/5.0')",
            [(cid, author, email, url, ip, content, approved, kind)
             for cid, approved, kind, author, email, url, ip, content in WORDPRESS_COMMENTS])
    try:
        yield f"{MARIADB}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")
        admin.close()


def test_wordpress_database_imports_like_its_export(instance, tmp_path, capsys, wordpress_database):
    assert main(["import", "--wordpress", wordpress_database, "--trash", "toxic"]) == 0
    out, err = capsys.readouterr()
    assert _labels(instance) == sorted([ANN, PLUMBER, AIRLINE, (*VIC, 0, 1, "other")])
    assert "1 rejected, 2 without a label skipped" in out
    assert "wp_comments comment_ID 6: email" in err
    assert main(["imports"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split("\t")
    assert row[2:4] == ["wordpress", wordpress_database]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--wordpress", "postgresql://x@127.0.0.1/db"], "needs a URL such as mysql://"),
    (["--wordpress", "mysql://root@127.0.0.1:3306/wp", "--table-prefix", "wp_; DROP TABLE x"], "table prefix"),
    (["--wordpress", "mysql://root:secret@127.0.0.1:1/wp"], "cannot connect to mysql://root:***@127.0.0.1:1/wp"),
    (["export.xml"], "give a file and its --format"),
])
def test_bad_import_arguments_are_clear_errors_that_never_show_a_password(instance, capsys, arguments, message):
    assert main(["import", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and "secret" not in error
