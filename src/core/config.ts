/**
 * Stack configuration in the spirit of lwIP's opt.h: one typed object, every knob documented where
 * it is defined with its default and what raising or lowering it costs. `resolveConfig` fills the
 * defaults and validates; an impossible configuration is a ConfigError when the stack is created,
 * never a surprise at run time.
 */
/** The send MSS assumed when a peer sends no MSS option (RFC 9293 §3.7.1, RFC 1122 §4.2.2.6). */
export const TCP_DEFAULT_MSS = 536;

export interface StackConfig {
  /** Number of pool pbufs (lwIP PBUF_POOL_SIZE). Every received frame, every queued TCP segment and
   *  every out-of-order segment holds one. Costs PBUF_POOL_BUFSIZE bytes each. Default 48. */
  PBUF_POOL_SIZE: number;
  /** Bytes in each pool pbuf (lwIP PBUF_POOL_BUFSIZE). Must hold a whole Ethernet frame (MTU + 14)
   *  and a full TCP segment with its headroom (TCP_MSS + PBUF_TRANSPORT_HLEN). Default 1600. */
  PBUF_POOL_BUFSIZE: number;
  /** Number of by-reference pbuf headers (lwIP MEMP_NUM_PBUF), used by tcp_write without COPY and by
   *  the application for data the stack must not copy. Small objects, no payload memory. Default 16. */
  MEMP_NUM_PBUF: number;
  /** Pool pbufs kept back for received frames: transmit-side allocation (tcp_write, ICMP replies)
   *  fails with ERR_MEM before it takes these, and TCP stops queueing received payload when only
   *  these are left, so ACKs and RSTs are always processed (lwIP's "full pool stops ACK processing"
   *  trap). Default 4. */
  PBUF_RX_RESERVE: number;

  /** Interface MTU in bytes (IPv4 packet size, without the Ethernet header). Default 1500. */
  MTU: number;
  /** Time to live for outgoing IPv4 packets (lwIP IP_DEFAULT_TTL). Default 64. */
  IP_DEFAULT_TTL: number;
  /** Reassemble fragmented IPv4 packets (lwIP IP_REASSEMBLY); when false they are dropped and
   *  counted. Default true. */
  IP_REASSEMBLY: boolean;
  /** Longest time an incomplete datagram waits for its fragments, ms (lwIP IP_REASS_MAXAGE). Default 3000. */
  IP_REASS_MAXAGE: number;
  /** Pool pbufs that reassembly may hold at once (lwIP IP_REASS_MAX_PBUFS). Default 10. */
  IP_REASS_MAX_PBUFS: number;
  /** Datagrams reassembled at once. Default 2. */
  IP_REASS_MAX_DATAGRAMS: number;

  /** ARP cache entries (lwIP ARP_TABLE_SIZE). Default 10. */
  ARP_TABLE_SIZE: number;
  /** Packets queued per unresolved address while ARP waits (lwIP ARP_QUEUE_LEN). Default 3. */
  ARP_QUEUE_LEN: number;
  /** ARP queue entries in all (lwIP MEMP_NUM_ARP_QUEUE). Default 8. */
  MEMP_NUM_ARP_QUEUE: number;
  /** Lifetime of a resolved ARP entry, ms (lwIP ARP_MAXAGE = 300 s). Refreshed before it expires
   *  when in use. Default 300000. */
  ARP_MAXAGE: number;
  /** Interval between ARP request retries, ms. Default 1000. */
  ARP_RETRY_INTERVAL: number;
  /** ARP requests sent for one address before its queued packets are dropped (lwIP ARP_MAXPENDING). Default 5. */
  ARP_MAX_TRIES: number;
  /** Time after a resolved entry was last confirmed during which its MAC may not change (Linux's
   *  neigh locktime, 1 s): an unsolicited reply or request claiming another MAC is ignored (counted
   *  in Etharp.lockRefused). After it, a gratuitous ARP (RFC 5227 §2.3 announcement) may move the
   *  address; a reply to our own request may at any time. 0 turns the lock off: any ARP packet
   *  from a known sender rewrites its entry (RFC 826 merge, the poisoning the lock prevents).
   *  No RAM. Default 1000. */
  ARP_LOCKTIME: number;
  /** New pending entries (broadcast requests for an address not in the cache) allowed per
   *  interval: one token every ARP_PENDING_INTERVAL ms, at most ARP_PENDING_BURST saved up. A flood
   *  of spoofed sources then cannot churn the cache or the link with requests; a resolution refused
   *  by the limit drops its packet (etharp.drop, Etharp.pendingLimited) and the transport retries.
   *  0 turns the limit off. RAM: one bucket. Default 100 (10 new resolutions a second). */
  ARP_PENDING_INTERVAL: number;
  /** Burst of new pending entries (see ARP_PENDING_INTERVAL): a board that opens or answers this
   *  many new peers at once is not slowed. Default 8. */
  ARP_PENDING_BURST: number;

  /** ICMP errors (destination unreachable, time exceeded) sent to one destination: one token every
   *  ICMP_RATELIMIT_MS (Linux icmp_ratelimit, 1000 ms), at most ICMP_RATELIMIT_BURST saved up
   *  (Linux's burst factor 6). RFC 1812 §4.3.2.8 asks for a rate limit on every error we originate,
   *  RFC 1122 §3.2.2 allows it. Errors refused are counted (Icmp.rateLimited). 0 turns the per
   *  destination limit off. Default 1000. */
  ICMP_RATELIMIT_MS: number;
  /** Burst per destination (see ICMP_RATELIMIT_MS). Default 6. */
  ICMP_RATELIMIT_BURST: number;
  /** Destinations tracked by the per-destination ICMP limit; the least recently used gives way.
   *  RAM: about 40 bytes each. Default 4. */
  ICMP_RATELIMIT_PEERS: number;
  /** ICMP errors per second over all destinations (Linux icmp_msgs_per_sec, 1000): bounds what
   *  spoofed sources cycling through the per-destination table can draw. 0 turns it off. Default 1000. */
  ICMP_MSGS_PER_SEC: number;
  /** Burst of the global ICMP error limit (Linux icmp_msgs_burst). Default 50. */
  ICMP_MSGS_BURST: number;

  /** UDP pcbs (lwIP MEMP_NUM_UDP_PCB). The DHCP client and the mDNS responder take one each, the
   *  DNS resolver one per query in flight. Small objects. Default 6. */
  MEMP_NUM_UDP_PCB: number;
  /** IPv4 multicast groups the interface can join (lwIP MEMP_NUM_IGMP_GROUP); mDNS joins one, an
   *  ECMA-419 UDP socket one per add(). Two numbers each (address, join count). Default 2. */
  IP_MAX_GROUPS: number;
  /** DNS cache and query entries (lwIP DNS_TABLE_SIZE): each holds a name of up to DNS_MAX_NAME_LENGTH
   *  bytes, its address and TTL. Default 4. */
  DNS_TABLE_SIZE: number;
  /** Longest host name the resolver handles, bytes (lwIP DNS_MAX_NAME_LENGTH). Costs this many
   *  bytes per table entry. Default 128. */
  DNS_MAX_NAME_LENGTH: number;
  /** Outstanding dns_gethostbyname callbacks (lwIP DNS_MAX_REQUESTS). Default 4. */
  DNS_MAX_REQUESTS: number;
  /** DNS servers kept (lwIP DNS_MAX_SERVERS); DHCP option 6 fills them. Default 2. */
  DNS_MAX_SERVERS: number;
  /** Tries per DNS server before the next one is asked; the timeout starts at DNS_TIMEOUT and
   *  doubles per try (RFC 1035 §4.2.1 leaves retransmission to the resolver). Default 2. */
  DNS_MAX_TRIES: number;
  /** First DNS retransmission timeout, ms. Default 1000. */
  DNS_TIMEOUT: number;
  /** Longest a DNS answer is cached, s, whatever its TTL (lwIP DNS_MAX_TTL). Default 3600. */
  DNS_MAX_TTL: number;
  /** Send RFC 5227 ARP probes for a DHCP-offered address before using it (3 probes, ~4-7 s),
   *  DHCPDECLINE on a conflict. Default true. */
  DHCP_DOES_ARP_CHECK: boolean;

  /** Active TCP pcbs: every state but LISTEN, TIME_WAIT included (lwIP MEMP_NUM_TCP_PCB). Default 8. */
  MEMP_NUM_TCP_PCB: number;
  /** Listening TCP pcbs (lwIP MEMP_NUM_TCP_PCB_LISTEN). Default 4. */
  MEMP_NUM_TCP_PCB_LISTEN: number;
  /** TCP segment descriptors for the send, unacked and out-of-order queues (lwIP MEMP_NUM_TCP_SEG). Default 32. */
  MEMP_NUM_TCP_SEG: number;
  /** Largest segment we accept, announced in our SYN's MSS option (lwIP TCP_MSS); clamped to MTU - 40. Default 1460. */
  TCP_MSS: number;
  /** Receive window in bytes (lwIP TCP_WND): how much received data may wait for the application's
   *  tcp_recved. At most 65535 without TCP_WND_SCALE; with it up to 2^30 (65535 << 14, RFC 7323
   *  §2.3), used in full only with peers that scale too (others see at most 65535). The window is
   *  a promise, not memory: received data sits in pool pbufs either way. Default 8192. */
  TCP_WND: number;
  /** Window scale option (RFC 7323 §2): offered in our SYN and accepted in the peer's; used only
   *  when both SYNs carry it. The peer's window field is then shifted by its scale, and ours by the
   *  smallest shift that fits the connection's receive window (TCP_WND or SO_RCVBUF) into 16 bits
   *  (0 for TCP_WND <= 65535: the option then only lets the peer offer us more than 64 KB). Costs
   *  4 bytes in each SYN and one multiply per ACK. Default true.
   *
   *  RAM of the three option knobs together (the fields exist whether they are on or not): 12 slots
   *  per pcb and 1 per segment descriptor, 2.3 KB with the default pools (measured on XS 13.3: a
   *  stack with 4 connections 3,304 -> 3,450 heap slots), and 4 slots + 24 numbers of scratch per
   *  stack for the SACK blocks we send. The code paths cost about 60 computrons per segment when
   *  nothing is negotiated (`npm run bench -- --only xs`: rx 12,592 -> 12,654, tx 14,227 -> 14,290). */
  TCP_WND_SCALE: boolean;
  /** Timestamps option (RFC 7323 §3-§5): offered in our SYN and accepted in the peer's. When both
   *  send it, every segment carries 12 more bytes (the send MSS drops by 12, RFC 6691), RTT is
   *  measured from every ACK that acknowledges new data (RTTM, §4, also across retransmissions,
   *  where Karn's rule leaves no sample), and PAWS (§5) drops old duplicates by their timestamp.
   *  Default false, from measurements between two in-process stacks with default windows: the XS
   *  cost per segment of the two-stack bench rises from 60,675 to 65,375 computrons (an application
   *  writing 1460-byte chunks into a 1448-byte MSS sends each as two segments), and loss recovery
   *  does not gain (4 MiB at 1% loss, 5 seeds: 17.8 s of virtual time on average with timestamps
   *  and 1448-byte writes, 9.2 s without). PAWS matters only where the sequence space can wrap
   *  within a segment's lifetime (gigabit rates), RTTM with windows of many segments. */
  TCP_TIMESTAMPS: boolean;
  /** Selective acknowledgment (RFC 2018): SACK-permitted is offered in our SYN and accepted in the
   *  peer's. When both send it, our ACKs carry up to 3 blocks (4 without timestamps) describing the
   *  out-of-order data we hold (§4), and the peer's blocks inform our retransmissions. Costs 2
   *  numbers per pcb and one per segment descriptor (arrival order of out-of-order data), and up
   *  to 28 bytes in ACKs sent while data is out of order. Default true. */
  TCP_SACK: boolean;
  /** Send buffer in bytes per connection (lwIP TCP_SND_BUF). Default 8192. */
  TCP_SND_BUF: number;
  /** Segments queued for sending per connection, unsent + unacked (lwIP TCP_SND_QUEUELEN). Default 16. */
  TCP_SND_QUEUELEN: number;
  /** Out-of-order segments held per connection (lwIP TCP_OOSEQ_MAX_PBUFS). Default 8. */
  TCP_OOSEQ_MAX_SEGS: number;
  /** Segments the TCP input path can process at once, one inside another (a driver that delivers
   *  our own transmitted frames back into the stack before transmit() returns, such as a
   *  synchronous loopback, nests one level per frame). Each level is one preallocated segment
   *  descriptor (InSeg + TcpSegInfo + SACK room: about 40 XS heap slots, 650 bytes on the ESP32); a
   *  segment arriving deeper is dropped and counted (stats.tcp.drop and memerr), and TCP's
   *  retransmission repairs it. Default 1: every driver of this repository (ESP32 MAC, Linux TAP,
   *  UDP tunnel, mock wire) hands received frames over from its own receive event, never from inside
   *  transmit(), so input does not nest — as in lwIP, whose tcp_input keeps the segment in globals
   *  and is never entered again (its loopback interface queues frames for netif_poll). A driver
   *  that loops frames back synchronously nests several levels per exchange: give it 8 or more. */
  TCP_INPUT_NEST_MAX: number;
  /** Maximum segment lifetime, ms; TIME_WAIT lasts 2 x TCP_MSL (lwIP TCP_MSL). Default 60000. */
  TCP_MSL: number;
  /** Retransmissions of a data segment before the connection is given up with ERR_TIMEOUT via tcp_err
   *  (lwIP TCP_MAXRTX). Default 12. */
  TCP_MAXRTX: number;
  /** Retransmissions of a SYN before the connection attempt fails (lwIP TCP_SYNMAXRTX). Default 6. */
  TCP_SYNMAXRTX: number;
  /** Initial retransmission timeout, ms (RFC 6298 §2.1: 1 s). Default 1000. */
  TCP_RTO_INITIAL: number;
  /** Lower bound of the RTO, ms (RFC 6298 §2.4: 1 s). Default 1000. */
  TCP_RTO_MIN: number;
  /** Upper bound of the RTO, ms (RFC 6298 §2.5 allows >= 60 s). Default 60000. */
  TCP_RTO_MAX: number;
  /** Delayed-ACK timeout, ms (RFC 1122 §4.2.3.2: < 500 ms). Default 200. */
  TCP_DELACK_MS: number;
  /** Tail loss probes (RFC 8985 §7, src/tcp/tlp.ts) on connections that negotiated SACK (as
   *  Linux): about two round trips after the last ACK, one segment is sent (new data, or the last
   *  one again) so that a loss at the end of a flight starts fast recovery instead of waiting for
   *  the retransmission timeout. On top of SACK recovery the gain in the tcp bench is small and
   *  varies by loss pattern (4 MiB, 8 KB windows, seeds 1-4 and 9 summed: 1 % loss 13.0 s vs 13.4 s
   *  without, 3 % loss 53.5 s vs 56.1 s, RTOs 36 vs 41). 3 numbers per pcb; no pool. Default true. */
  TCP_TLP: boolean;
  /** Per-connection frame header templates (src/tcp/template.ts): the Ethernet, IPv4 and TCP
   *  headers of a connection's segments are built once (again when ARP, the route or the link
   *  changes) and copied in front of each segment, which then only gets its sequence and
   *  acknowledgment numbers, flags, window, timestamps, IPv4 length and identification and the two
   *  checksums (the IPv4 one updated as RFC 1624 §3 eqn. 3 does). The frames are the same bytes
   *  either way; measured on XS, a pure ACK costs about 1,600 computrons less. TCP_HDR_TEMPLATE_BYTES
   *  bytes per pcb (MEMP_NUM_TCP_PCB of them) after the pbuf pool's memory. Default true. */
  TCP_HDR_TEMPLATE: boolean;
  /** Header prediction on receive (the fast path of BSD's tcp_input and Linux's
   *  tcp_rcv_established): in ESTABLISHED, the next in-order segment of data that acknowledges
   *  nothing new, carries no other control bit and no options to process, fits the window and
   *  finds nothing held back (out-of-order queue, refused data, pool pressure) skips the steps of
   *  RFC 9293 §3.10.7.4 that have nothing to do for it: only the window update and the text step
   *  run. The outcome is the same as through every step; measured on XS, about 300 computrons less
   *  per segment received. No RAM. Default true. */
  TCP_HDR_PREDICTION: boolean;
  /** Data segments ACKed at once at the start of a connection, before delayed ACKs begin (Linux's
   *  quick-ACK mode: it lets the peer's slow start open quickly). The count is also bounded by
   *  TCP_WND / (2 x 536), at least 2, as Linux bounds it. 0 turns it off (pure RFC 1122 delayed
   *  ACK from the first segment). Default 16. */
  TCP_QUICKACKS: number;
  /** ACK once per driver burst: while a driver hands over a burst of received frames
   *  (FrameSink.rxBurstBegin / rxBurstEnd), the ACK owed for every second segment (RFC 5681 §4.2,
   *  RFC 1122 §4.2.3.2) waits for the end of the burst, and one ACK then covers all of it — what
   *  Linux sends for a GRO super-packet. That is a stretch ACK, which RFC 5681 §4.2 allows ("SHOULD"
   *  every second full-sized segment; RFC 2525 §2.13 lists the cost: a sender growing its window by
   *  ACK count opens it more slowly). It is bounded: a burst is what the driver finds waiting while it
   *  drains its queue (at most 64 frames on the host TAP), the window caps the data
   *  unacknowledged, a window update still leaves at once when the announced window halves, and
   *  every other ACK is never deferred (duplicate and out-of-order ACKs for the peer's fast
   *  retransmit, ACKs of a FIN, window updates, probe and challenge ACKs). In exchange the stack
   *  writes one ACK per burst instead of one per two segments: on the host TAP each ACK is a
   *  write() that also runs the kernel's TCP input, on a board an ACK is a full transmit in
   *  JavaScript and a frame of airtime. A driver that never calls the burst pair is unaffected.
   *  Costs no RAM to speak of (a flag bit per pcb, two counters per stack). Default true (board and
   *  HOST_CONFIG alike: on the host it took the TAP discard benchmark from 12.4-13.0 to 10.4-10.6 CPU
   *  s/GB, README "Side by side with lwIP"; the ESP32 driver drains its ring as one burst too). */
  TCP_ACK_PER_BURST: boolean;
  /** Period of the coarse TCP timer, ms: tcp_poll intervals count in these ticks (lwIP's slow timer). Default 500. */
  TCP_COARSE_TICK_MS: number;
  /** Largest persist (zero-window probe) interval, ms. Default 60000. */
  TCP_PERSIST_MAX: number;
  /** How long a connection the application closed waits in FIN_WAIT_2 for the peer's FIN before it
   *  is freed, ms (lwIP TCP_FIN_WAIT_TIMEOUT, Linux tcp_fin_timeout; RFC 9293 sets no bound, but
   *  nobody is left to read). Costs nothing; bounds how long a silent peer holds a pcb. Default 20000. */
  TCP_FIN_WAIT_TIMEOUT: number;
  /** Least interval between the ACKs one connection sends in answer to unacceptable segments —
   *  challenge ACKs to in-window RSTs and SYNs, ACKs to out-of-window segments with or without data
   *  — ms (RFC 5961 §7 and §10 ask for a rate limit; Linux's tcp_invalid_ratelimit is 500): two ends
   *  can never ping-pong ACKs, and spoofed segments cannot draw an ACK each. 0 turns it off. Costs
   *  one timestamp per pcb. Default 500. */
  TCP_OOW_ACK_INTERVAL: number;
  /** Smallest send MSS the stack accepts from a peer's MSS option, octets: a tiny MSS would make a
   *  peer's every octet cost a segment and a pool entry (Linux tcp_min_snd_mss is 48). Costs
   *  nothing. Default 64. */
  TCP_MSS_MIN: number;
  /** Keepalive idle time before the first probe, ms (RFC 1122 §4.2.3.6: >= 2 h). Default 7200000. */
  TCP_KEEPIDLE_DEFAULT: number;
  /** Interval between keepalive probes, ms. Default 75000. */
  TCP_KEEPINTVL_DEFAULT: number;
  /** Unanswered keepalive probes before the connection is aborted. Default 9. */
  TCP_KEEPCNT_DEFAULT: number;
  /** First port of the ephemeral range used by tcp_bind(port 0) and tcp_connect (RFC 6335). Default 49152. */
  TCP_LOCAL_PORT_RANGE_START: number;
  /** Last port of the ephemeral range. Default 65535. */
  TCP_LOCAL_PORT_RANGE_END: number;
  /** First port of the ephemeral range used by udp_bind(port 0) and udp_sendto on an unbound pcb
   *  (RFC 6335; lwIP UDP_LOCAL_PORT_RANGE_START). Default 49152. */
  UDP_LOCAL_PORT_RANGE_START: number;
  /** Last port of the UDP ephemeral range. Default 65535. */
  UDP_LOCAL_PORT_RANGE_END: number;
  /** Default listen backlog (lwIP TCP_DEFAULT_LISTEN_BACKLOG). Default 4. */
  TCP_DEFAULT_LISTEN_BACKLOG: number;

  /** SYN-ACK retransmissions of a passive open before the half-open connection is dropped (Linux
   *  tcp_synack_retries, 5; lwIP uses TCP_SYNMAXRTX). 3 gives a half-open connection 1+2+4+8 = 15 s
   *  instead of 127 s: a spoofed SYN holds its pcb that much shorter. No RAM. Default 3. */
  TCP_SYNACK_MAXRTX: number;
  /** When a SYN finds its listener's backlog full, or no pcb left, drop the oldest half-open
   *  connection (SYN_RCVD, not yet accepted) for it — one whose peer never resolved by ARP first —
   *  instead of the SYN (Linux's request-sock drop, lwIP's tcp_kill_prio idea, RFC 4987 §3.4/3.5).
   *  A spoofed SYN flood then cannot keep a port closed. No RAM. Default true. */
  TCP_SYN_EVICT: boolean;
  /** A half-open connection whose peer's address is still unresolved when its SYN-ACK would be
   *  retransmitted (ARP never answered: a spoofed source) is dropped then, instead of holding its pcb
   *  for every retry. A real client resolves within milliseconds on a LAN. No RAM. Default true. */
  TCP_HALFOPEN_NEEDS_ARP: boolean;
  /** Longest time, ms, a connection the application has closed may stay in FIN_WAIT_1, CLOSING or
   *  LAST_ACK retransmitting its FIN to a peer that does not answer (Linux tcp_orphan_retries, about
   *  100 s); then it is reset. Such orphans are also reclaimed, oldest first, when a pcb is needed.
   *  0 turns the limit off (TCP_MAXRTX alone: about 8 minutes). No RAM. Default 100000. */
  TCP_ORPHAN_TIMEOUT: number;
  /** User timeout (RFC 9293 §3.8.4, RFC 5482), ms: a connection whose sent data sees no progress
   *  for this long — unacknowledged, or held back by a zero window the peer never opens although it
   *  answers every probe — is aborted with ERR_TIMEOUT. Per pcb with tcp_set_user_timeout; this is
   *  the default. 0 turns it off. No RAM. Default 300000 (5 minutes, RFC 9293's suggestion). */
  TCP_USER_TIMEOUT: number;
  /** Share of the pbuf pool, percent, one connection may hold (send queue + out-of-order + data the
   *  application refused) once the pool is under pressure (see TCP_POOL_PRESSURE): above it,
   *  tcp_write returns ERR_MEM and received data that would be queued is dropped (the peer
   *  retransmits). Below pressure connections take what they need. No RAM. Default 15. */
  TCP_PCB_POOL_SHARE: number;
  /** The pool is under pressure when at most this percentage of its pbufs is free: out-of-order
   *  data of every connection is freed (lwIP pbuf_free_ooseq) and the per-connection share applies.
   *  Default 25. */
  TCP_POOL_PRESSURE: number;
  /** Out-of-order data older than this many RTOs is freed (lwIP TCP_OOSEQ_TIMEOUT, 6): bytes
   *  beyond a hole that is never filled do not hold pbufs for ever. 0 keeps them. Default 6. */
  TCP_OOSEQ_TIMEOUT: number;
  /** Out-of-order segments shorter than 64 octets one connection may hold: each costs a whole pool
   *  buffer, so 1-byte segments beyond a hole would let 32 packets pin 32 buffers. 0: no limit
   *  (TCP_OOSEQ_MAX_SEGS alone). No RAM. Default 2. */
  TCP_OOSEQ_TINY_MAX: number;
  /** RFC 1337 (TW1): a RST in TIME_WAIT is ignored, the 4-tuple stays reserved for the full 2 MSL.
   *  false: the RST ends TIME_WAIT at once (Linux's default, net.ipv4.tcp_rfc1337 = 0). Default true. */
  TCP_RFC1337: boolean;
  /** The ACKs of TCP_OOW_ACK_INTERVAL over all connections, per second (RFC 5961 §7; Linux's
   *  tcp_challenge_ack_limit, 1000 before it became per-netns and unbounded in 6.0). 0 turns it
   *  off. RAM: one bucket. Default 1000. */
  TCP_CHALLENGE_ACK_LIMIT: number;
  /** RSTs answering segments to closed ports, per second over all (Linux sets none; FreeBSD's
   *  icmplim bandwidth limit, 200, covers them): a flood cannot use the board as a reflector.
   *  0 turns it off. RAM: one bucket. Default 200. */
  TCP_RST_LIMIT: number;

  /** The services of src/apps (echo, discard, daytime, chargen) close a connection that has moved no
   *  data either way for this long, ms, so idle clients cannot hold every pcb. 0: no limit.
   *  Default 300000. */
  SERVICE_IDLE_TIMEOUT: number;
  /** The services turn on keepalive (SO_KEEPALIVE with TCP_KEEPIDLE_DEFAULT etc., RFC 1122
   *  §4.2.3.6) on their connections, so a peer that vanished is noticed. Default true. */
  SERVICE_KEEPALIVE: boolean;
}

export const DEFAULT_CONFIG: Readonly<StackConfig> = Object.freeze({
  PBUF_POOL_SIZE: 48,
  PBUF_POOL_BUFSIZE: 1600,
  MEMP_NUM_PBUF: 16,
  PBUF_RX_RESERVE: 4,
  MTU: 1500,
  IP_DEFAULT_TTL: 64,
  IP_REASSEMBLY: true,
  IP_REASS_MAXAGE: 3000,
  IP_REASS_MAX_PBUFS: 10,
  IP_REASS_MAX_DATAGRAMS: 2,
  ARP_TABLE_SIZE: 10,
  ARP_QUEUE_LEN: 3,
  MEMP_NUM_ARP_QUEUE: 8,
  ARP_MAXAGE: 300000,
  ARP_RETRY_INTERVAL: 1000,
  ARP_MAX_TRIES: 5,
  ARP_LOCKTIME: 1000,
  ARP_PENDING_INTERVAL: 100,
  ARP_PENDING_BURST: 8,
  ICMP_RATELIMIT_MS: 1000,
  ICMP_RATELIMIT_BURST: 6,
  ICMP_RATELIMIT_PEERS: 4,
  ICMP_MSGS_PER_SEC: 1000,
  ICMP_MSGS_BURST: 50,
  MEMP_NUM_UDP_PCB: 6,
  IP_MAX_GROUPS: 2,
  DNS_TABLE_SIZE: 4,
  DNS_MAX_NAME_LENGTH: 128,
  DNS_MAX_REQUESTS: 4,
  DNS_MAX_SERVERS: 2,
  DNS_MAX_TRIES: 2,
  DNS_TIMEOUT: 1000,
  DNS_MAX_TTL: 3600,
  DHCP_DOES_ARP_CHECK: true,
  MEMP_NUM_TCP_PCB: 8,
  MEMP_NUM_TCP_PCB_LISTEN: 4,
  MEMP_NUM_TCP_SEG: 32,
  TCP_MSS: 1460,
  TCP_WND: 8192,
  TCP_WND_SCALE: true,
  TCP_TIMESTAMPS: false,
  TCP_SACK: true,
  TCP_SND_BUF: 8192,
  TCP_SND_QUEUELEN: 16,
  TCP_OOSEQ_MAX_SEGS: 8,
  TCP_INPUT_NEST_MAX: 1,
  TCP_MSL: 60000,
  TCP_MAXRTX: 12,
  TCP_SYNMAXRTX: 6,
  TCP_RTO_INITIAL: 1000,
  TCP_RTO_MIN: 1000,
  TCP_RTO_MAX: 60000,
  TCP_DELACK_MS: 200,
  TCP_TLP: true,
  TCP_HDR_TEMPLATE: true,
  TCP_HDR_PREDICTION: true,
  TCP_QUICKACKS: 16,
  TCP_ACK_PER_BURST: true,
  TCP_COARSE_TICK_MS: 500,
  TCP_PERSIST_MAX: 60000,
  TCP_FIN_WAIT_TIMEOUT: 20000,
  TCP_OOW_ACK_INTERVAL: 500,
  TCP_MSS_MIN: 64,
  TCP_KEEPIDLE_DEFAULT: 7200000,
  TCP_KEEPINTVL_DEFAULT: 75000,
  TCP_KEEPCNT_DEFAULT: 9,
  TCP_LOCAL_PORT_RANGE_START: 49152,
  TCP_LOCAL_PORT_RANGE_END: 65535,
  UDP_LOCAL_PORT_RANGE_START: 49152,
  UDP_LOCAL_PORT_RANGE_END: 65535,
  TCP_DEFAULT_LISTEN_BACKLOG: 4,
  TCP_SYNACK_MAXRTX: 3,
  TCP_SYN_EVICT: true,
  TCP_HALFOPEN_NEEDS_ARP: true,
  TCP_ORPHAN_TIMEOUT: 100000,
  TCP_USER_TIMEOUT: 300000,
  TCP_PCB_POOL_SHARE: 15,
  TCP_POOL_PRESSURE: 50,
  TCP_OOSEQ_TIMEOUT: 6,
  TCP_OOSEQ_TINY_MAX: 2,
  TCP_RFC1337: true,
  TCP_CHALLENGE_ACK_LIMIT: 1000,
  TCP_RST_LIMIT: 200,
  SERVICE_IDLE_TIMEOUT: 300000,
  SERVICE_KEEPALIVE: true,
});

/** The largest receive window with window scaling: 2^30 (RFC 7323 §2.3: shift 14, and the
 *  window must stay below 2^30 for the sequence space test to work). */
export const TCP_WND_MAX_SCALED = 0x40000000;

/** Ethernet header (14) + IPv4 header without options (20): the headroom below a transport header. */
export const PBUF_LINK_HLEN = 14;
export const PBUF_IP_HLEN = 20;
/** Headroom reserved in front of transport payload: Ethernet + IPv4 + the largest TCP header (60). */
export const PBUF_TRANSPORT_HLEN = PBUF_LINK_HLEN + PBUF_IP_HLEN + 60;
/** Bytes of one connection's header template (TCP_HDR_TEMPLATE): the 66-byte frame header with
 *  timestamps, padded to 8-byte words (72), then five 8-byte words of bookkeeping. */
export const TCP_HDR_TEMPLATE_BYTES = 112;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Fills defaults and checks every constraint; throws ConfigError (at start-up only). */
export function resolveConfig(partial?: Partial<StackConfig>): StackConfig {
  // A key present with the value undefined (allowed by Partial<>) means "use the default".
  // The defaults are the prototype, not a copy: the stack's config object then holds only the
  // keys the application set (each property of an XS object is a heap slot; DEFAULT_CONFIG is
  // module data, in flash on a Moddable build). Reads see every key as before.
  const cfg = Object.create(DEFAULT_CONFIG) as StackConfig;
  if (partial) {
    const set = cfg as unknown as Record<string, unknown>;
    for (const key of Object.keys(partial)) {
      // own keys only: 'toString' or '__proto__' are not config knobs
      if (!Object.prototype.hasOwnProperty.call(DEFAULT_CONFIG, key)) throw new ConfigError('unknown config key ' + key);
      const v = (partial as Record<string, unknown>)[key];
      // defined, not assigned: an assignment would hit the frozen default on the prototype
      if (v !== undefined) Object.defineProperty(set, key, { value: v, writable: true, enumerable: true, configurable: true });
    }
  }
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof StackConfig)[]) {
    const v = cfg[key];
    if (typeof DEFAULT_CONFIG[key] === 'boolean') {
      if (typeof v !== 'boolean') throw new ConfigError(key + ' must be a boolean');
    } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new ConfigError(key + ' must be a non-negative integer, got ' + String(v));
    }
  }
  const need = (ok: boolean, why: string) => { if (!ok) throw new ConfigError(why); };
  need(cfg.MTU >= 576 && cfg.MTU <= 9000, 'MTU must be within 576..9000 (RFC 791 minimum 576)');
  need(cfg.PBUF_POOL_BUFSIZE % 4 === 0, 'PBUF_POOL_BUFSIZE must be a multiple of 4');
  need(cfg.PBUF_POOL_BUFSIZE >= cfg.MTU + PBUF_LINK_HLEN,
    'PBUF_POOL_BUFSIZE (' + cfg.PBUF_POOL_BUFSIZE + ') must hold a whole frame: MTU + 14 = ' + (cfg.MTU + PBUF_LINK_HLEN));
  need(cfg.TCP_MSS >= 536, 'TCP_MSS must be at least 536 (RFC 9293 §3.7.1 default MSS)');
  need(cfg.TCP_MSS <= cfg.MTU - 40, 'TCP_MSS must be at most MTU - 40 = ' + (cfg.MTU - 40));
  need(cfg.PBUF_POOL_BUFSIZE >= cfg.TCP_MSS + PBUF_TRANSPORT_HLEN,
    'PBUF_POOL_BUFSIZE must hold TCP_MSS + ' + PBUF_TRANSPORT_HLEN + ' bytes of headroom = ' + (cfg.TCP_MSS + PBUF_TRANSPORT_HLEN));
  need(cfg.PBUF_POOL_SIZE >= cfg.PBUF_RX_RESERVE + 4, 'PBUF_POOL_SIZE must exceed PBUF_RX_RESERVE by at least 4');
  need(cfg.PBUF_RX_RESERVE >= 1, 'PBUF_RX_RESERVE must be at least 1');
  need(cfg.TCP_WND >= cfg.TCP_MSS && cfg.TCP_WND <= (cfg.TCP_WND_SCALE ? TCP_WND_MAX_SCALED : 65535),
    cfg.TCP_WND_SCALE ? 'TCP_WND must be within TCP_MSS..' + TCP_WND_MAX_SCALED
      : 'TCP_WND must be within TCP_MSS..65535 (more needs TCP_WND_SCALE, RFC 7323 §2)');
  need(cfg.TCP_SND_BUF >= cfg.TCP_MSS, 'TCP_SND_BUF must be at least TCP_MSS');
  need(cfg.TCP_SND_QUEUELEN >= 2, 'TCP_SND_QUEUELEN must be at least 2');
  need(cfg.MEMP_NUM_TCP_PCB >= 1, 'MEMP_NUM_TCP_PCB must be at least 1');
  need(cfg.TCP_INPUT_NEST_MAX >= 1, 'TCP_INPUT_NEST_MAX must be at least 1');
  need(cfg.MEMP_NUM_TCP_SEG >= cfg.TCP_SND_QUEUELEN, 'MEMP_NUM_TCP_SEG must be at least TCP_SND_QUEUELEN');
  // segment queues link descriptors through an Int16Array (tcp/tcb.ts SegStore)
  need(cfg.MEMP_NUM_TCP_SEG <= 32767, 'MEMP_NUM_TCP_SEG must be at most 32767');
  need(cfg.TCP_RTO_MIN >= 1 && cfg.TCP_RTO_MIN <= cfg.TCP_RTO_INITIAL && cfg.TCP_RTO_INITIAL <= cfg.TCP_RTO_MAX,
    'need 1 <= TCP_RTO_MIN <= TCP_RTO_INITIAL <= TCP_RTO_MAX');
  need(cfg.TCP_DELACK_MS >= 1 && cfg.TCP_DELACK_MS <= 500, 'TCP_DELACK_MS must be within 1..500 (RFC 1122 §4.2.3.2)');
  need(cfg.TCP_MSL >= 1, 'TCP_MSL must be at least 1 ms');
  need(cfg.TCP_COARSE_TICK_MS >= 1, 'TCP_COARSE_TICK_MS must be at least 1');
  need(cfg.TCP_LOCAL_PORT_RANGE_START >= 1024 && cfg.TCP_LOCAL_PORT_RANGE_START <= cfg.TCP_LOCAL_PORT_RANGE_END
    && cfg.TCP_LOCAL_PORT_RANGE_END <= 65535, 'ephemeral port range must lie within 1024..65535');
  need(cfg.UDP_LOCAL_PORT_RANGE_START >= 1024 && cfg.UDP_LOCAL_PORT_RANGE_START <= cfg.UDP_LOCAL_PORT_RANGE_END
    && cfg.UDP_LOCAL_PORT_RANGE_END <= 65535, 'UDP ephemeral port range must lie within 1024..65535');
  need(cfg.ARP_TABLE_SIZE >= 1 && cfg.ARP_TABLE_SIZE <= 255, 'ARP_TABLE_SIZE must be within 1..255');
  need(cfg.ARP_MAX_TRIES >= 1, 'ARP_MAX_TRIES must be at least 1');
  need(cfg.IP_DEFAULT_TTL >= 1 && cfg.IP_DEFAULT_TTL <= 255, 'IP_DEFAULT_TTL must be within 1..255');
  need(cfg.ARP_PENDING_BURST >= 1, 'ARP_PENDING_BURST must be at least 1');
  need(cfg.ICMP_RATELIMIT_BURST >= 1 && cfg.ICMP_MSGS_BURST >= 1, 'ICMP_RATELIMIT_BURST and ICMP_MSGS_BURST must be at least 1');
  need(cfg.ICMP_RATELIMIT_PEERS <= 64, 'ICMP_RATELIMIT_PEERS must be at most 64 (a linear search)');
  need(cfg.TCP_PCB_POOL_SHARE >= 1 && cfg.TCP_PCB_POOL_SHARE <= 100, 'TCP_PCB_POOL_SHARE must be within 1..100');
  need(cfg.TCP_POOL_PRESSURE <= 90, 'TCP_POOL_PRESSURE must be at most 90');
  need(cfg.TCP_KEEPCNT_DEFAULT >= 1, 'TCP_KEEPCNT_DEFAULT must be at least 1');
  need(cfg.DNS_MAX_NAME_LENGTH >= 16 && cfg.DNS_MAX_NAME_LENGTH <= 255, 'DNS_MAX_NAME_LENGTH must be within 16..255 (RFC 1035 §2.3.4)');
  need(cfg.DNS_MAX_TRIES >= 1 && cfg.DNS_TIMEOUT >= 1, 'DNS_MAX_TRIES and DNS_TIMEOUT must be at least 1');
  need(cfg.TCP_FIN_WAIT_TIMEOUT >= 1, 'TCP_FIN_WAIT_TIMEOUT must be at least 1 ms');
  need(cfg.TCP_OOW_ACK_INTERVAL >= 0, 'TCP_OOW_ACK_INTERVAL must not be negative');
  need(cfg.TCP_MSS_MIN >= 1 && cfg.TCP_MSS_MIN <= TCP_DEFAULT_MSS,
    'TCP_MSS_MIN must be within 1..' + TCP_DEFAULT_MSS + ' (RFC 9293 §3.7.1 default MSS)');
  return cfg;
}
