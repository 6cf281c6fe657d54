<?php
/**
 * Plugin Name: Comment moderation service
 * Description: Sends the Akismet plugin's calls to a self-hosted comment moderation service and maps its
 *              accept / hold / reject decisions onto WordPress. Needs the stock Akismet plugin, active.
 * Version:     1.0.0
 * License:     GPL-2.0-or-later
 *
 * Configure in wp-config.php:
 *   define( 'MODERATION_SERVICE_URL', 'http://127.0.0.1:8000' );   // required: where the service listens
 *   define( 'MODERATION_MODERATOR_KEY', '...' );                    // optional: sync moderators' actions
 * The site key is Akismet's own: the Akismet settings screen, or the WPCOM_API_KEY constant.
 *
 * Works as a normal plugin (wp-content/plugins/) or a must-use plugin (wp-content/mu-plugins/).
 */

defined( 'ABSPATH' ) || exit;

const MODERATION_AKISMET_HOST = 'rest.akismet.com';
const MODERATION_META_ID      = 'moderation_service_id';
const MODERATION_META_DECISION = 'moderation_service_decision';

/**
 * The decision the service gave for the comment being submitted in this request (null before any check).
 * Akismet checks one comment per request, just before WordPress decides its status.
 */
function moderation_last_check( $set = null ) {
	static $last = null;
	if ( null !== $set ) {
		$last = $set;
	}
	return $last;
}

/** The service's base URL, or '' when the connector is not configured. */
function moderation_service_url() {
	return defined( 'MODERATION_SERVICE_URL' ) ? untrailingslashit( (string) MODERATION_SERVICE_URL ) : '';
}

/**
 * Route Akismet's HTTP calls (https://rest.akismet.com/1.1/..., or a server IP with the Host header the plugin
 * uses for its connectivity check) to the service, keeping the path, the method, the body and the timeout.
 */
function moderation_route_akismet( $preempt, $args, $url ) {
	$service = moderation_service_url();
	if ( false !== $preempt || '' === $service ) {
		return $preempt;
	}
	$parts = wp_parse_url( $url );
	$host  = isset( $parts['host'] ) ? strtolower( $parts['host'] ) : '';
	$sent_host = isset( $args['headers']['Host'] ) ? strtolower( (string) $args['headers']['Host'] ) : '';
	if ( MODERATION_AKISMET_HOST !== $host && MODERATION_AKISMET_HOST !== $sent_host ) {
		return $preempt;
	}
	$target = $service . ( isset( $parts['path'] ) ? $parts['path'] : '/' )
		. ( isset( $parts['query'] ) ? '?' . $parts['query'] : '' );
	// The Host header names Akismet; the service must see its own.
	unset( $args['headers']['Host'] );
	$args['httpversion'] = '1.1';
	return wp_remote_request( $target, $args );
}
add_filter( 'pre_http_request', 'moderation_route_akismet', 10, 3 );

/** Remember what the service answered to the comment-check of the comment being submitted. */
function moderation_remember_check( $response ) {
	if ( ! is_array( $response ) || ! isset( $response[0] ) ) {
		return;
	}
	$headers = $response[0];
	$decision = isset( $headers['x-moderation-decision'] ) ? (string) $headers['x-moderation-decision'] : '';
	$guid     = isset( $headers['x-akismet-guid'] ) ? (string) $headers['x-akismet-guid'] : '';
	moderation_last_check( array( 'decision' => $decision, 'guid' => $guid ) );
}
add_action( 'akismet_comment_check_response', 'moderation_remember_check' );

/**
 * hold: the comment waits for a moderator (comment_approved '0'), and the commenter sees WordPress's
 * "Your comment is awaiting moderation". accept: WordPress's own rules decide (Akismet leaves them be).
 * reject: Akismet has already made it spam, or discarded it when its discard setting allows.
 */
function moderation_comment_status( $approved, $commentdata ) {
	$check = moderation_last_check();
	if ( ! is_array( $check ) || 'hold' !== $check['decision'] || is_wp_error( $approved ) ) {
		return $approved;
	}
	if ( 'spam' === $approved || 'trash' === $approved ) {
		return $approved;
	}
	return '0';
}
// After Akismet's own filter (priority 10), which sets spam.
add_filter( 'pre_comment_approved', 'moderation_comment_status', 20, 2 );

/** Keep the service's id of the comment, for moderators' actions and for looking it up in the service. */
function moderation_store_id( $comment_id ) {
	$check = moderation_last_check();
	if ( is_array( $check ) && '' !== $check['guid'] ) {
		update_comment_meta( $comment_id, MODERATION_META_ID, sanitize_key( $check['guid'] ) );
		update_comment_meta( $comment_id, MODERATION_META_DECISION, sanitize_key( $check['decision'] ) );
		moderation_last_check( array( 'decision' => '', 'guid' => '' ) );
	}
}
add_action( 'comment_post', 'moderation_store_id', 5 );

/**
 * With MODERATION_MODERATOR_KEY, moderators' actions in the WordPress admin reach the service's review
 * endpoint: approve is approved (not spam, not toxic), spam is rejected as spam, trash is rejected as toxic.
 * Unapproving has no review in the service (a review approves or rejects); Akismet's Spam / Not spam
 * reports reach the service either way.
 */
function moderation_sync_status( $new_status, $old_status, $comment ) {
	if ( $new_status === $old_status || ! defined( 'MODERATION_MODERATOR_KEY' ) || '' === moderation_service_url() ) {
		return;
	}
	$reviews = array(
		'approved' => array( 'approve', false, false ),
		'spam'     => array( 'reject', true, false ),
		'trash'    => array( 'reject', false, true ),
	);
	if ( ! isset( $reviews[ $new_status ] ) ) {
		return;
	}
	$service_id = get_comment_meta( $comment->comment_ID, MODERATION_META_ID, true );
	if ( ! $service_id ) {
		return;
	}
	list( $action, $spam, $toxic ) = $reviews[ $new_status ];
	$response = wp_remote_post(
		moderation_service_url() . '/v1/comments/' . rawurlencode( $service_id ) . '/review',
		array(
			'headers' => array(
				'Authorization' => 'Bearer ' . MODERATION_MODERATOR_KEY,
				'Content-Type'  => 'application/json',
			),
			'body'    => wp_json_encode( array(
				'action' => $action,
				'labels' => array( 'spam' => $spam, 'toxic' => $toxic ),
				'note'   => sprintf( 'WordPress: %s -> %s', $old_status, $new_status ),
			) ),
			'timeout' => 10,
		)
	);
	if ( is_wp_error( $response ) || 200 !== wp_remote_retrieve_response_code( $response ) ) {
		$detail = is_wp_error( $response ) ? $response->get_error_message() : wp_remote_retrieve_response_code( $response );
		// Logged, never shown: the moderator's action in WordPress stands either way.
		error_log( 'comment-moderation: review sync failed for comment ' . (int) $comment->comment_ID . ': ' . $detail );
	}
}
add_action( 'transition_comment_status', 'moderation_sync_status', 20, 3 );

/** Akismet's X-akismet-error header is logged (Akismet itself holds the comment for moderation). */
function moderation_log_errors( $response ) {
	if ( is_array( $response ) && isset( $response[0]['x-akismet-error'] ) ) {
		error_log( 'comment-moderation: the service answered an error: ' . sanitize_text_field( $response[0]['x-akismet-error'] ) );
	}
}
add_action( 'akismet_comment_check_response', 'moderation_log_errors', 20 );
