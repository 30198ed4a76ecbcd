/** TCP states, numbered as lwIP's tcpbase.h does (RFC 9293 §3.3.2). */
export const CLOSED = 0;
export const LISTEN = 1;
export const SYN_SENT = 2;
export const SYN_RCVD = 3;
export const ESTABLISHED = 4;
export const FIN_WAIT_1 = 5;
export const FIN_WAIT_2 = 6;
export const CLOSE_WAIT = 7;
export const CLOSING = 8;
export const LAST_ACK = 9;
export const TIME_WAIT = 10;

/** State names as netstat prints them (lwIP's tcp_state_str). */
export const TCP_STATE_NAMES: readonly string[] = Object.freeze([
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
]);

export function tcpStateName(state: number): string {
  return TCP_STATE_NAMES[state] ?? 'UNKNOWN';
}

/** tcp_write flags (lwIP). */
export const TCP_WRITE_FLAG_COPY = 0x01;
export const TCP_WRITE_FLAG_MORE = 0x02;

/** Socket options settable with ip_set_option (lwIP's SOF_*). */
export const SOF_REUSEADDR = 0x04;
export const SOF_KEEPALIVE = 0x08;
/** Options a connection inherits from its listener. */
export const SOF_INHERITED = SOF_REUSEADDR | SOF_KEEPALIVE;

/** Per-connection flags (in the manner of lwIP's TF_*). */
export const TF_ACK_DELAY = 0x0001;   // an ACK is owed and may wait for the delayed-ACK timer
export const TF_ACK_NOW = 0x0002;     // an ACK must go out with the next output
export const TF_NODELAY = 0x0004;     // Nagle disabled
export const TF_FIN_QUEUED = 0x0008;  // our FIN sits in the send queue (or has been sent)
export const TF_RXCLOSED = 0x0010;    // the application will read no more (tcp_close / shut_rx)
export const TF_CLOSED_BY_APP = 0x0020; // tcp_close: the pcb is orphaned, the stack finishes it
export const TF_INFR = 0x0040;        // in fast recovery (RFC 5681 §3.2, RFC 6582)
export const TF_NAGLEMEMERR = 0x0080; // a tcp_write failed for lack of memory: flush what is queued
export const TF_SYN_RTX = 0x0100;     // our SYN was retransmitted (RFC 6298 §5.7)
export const TF_PASSIVE = 0x0200;     // created by a listener (SYN_RCVD returns to LISTEN on RST)
export const TF_FIN_RECVD = 0x0400;   // the peer's FIN has been received in order
export const TF_TXCLOSED = 0x0800;    // tcp_shutdown(tx) or close: no more tcp_write
export const TF_ACK_BURST = 0x1000;   // the every-second-segment ACK waits for the driver burst's end

/** Causes given to the state-transition trace hook. */
export const CAUSE_API = 'api';
export const CAUSE_SEGMENT = 'segment';
export const CAUSE_TIMER = 'timer';
/** An ICMP error about a segment we sent (RFC 1122 §4.2.3.9). */
export const CAUSE_ICMP = 'icmp';

/** RFC 6298 §5.7: after a retransmitted SYN, the RTO is re-initialized to 3 s when data transfer
 *  begins (the backed-off SYN timer is not carried over; Karn forbids a sample from the SYN). */
export const RTO_AFTER_SYN_LOSS = 3000;
/** Clock granularity G of RFC 6298 §2, ms. */
export const CLOCK_GRANULARITY = 1;

/** An unarmed timer (every due time is a clock value >= 0). */
export const NO_TIME = -1;
/** Persist backoff steps counted at most: the interval doubles per step up to TCP_PERSIST_MAX
 *  (RFC 1122 §4.2.2.17 wants exponential backoff), and 2^16 x any RTO exceeds any sane maximum. */
export const PERSIST_BACKOFF_STEPS_MAX = 16;
