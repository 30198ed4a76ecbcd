/**
 * The scenario registry: every scenario runs on Node and, bundled with the mock HAL, inside XS
 * (test/xs.test.ts). Add a scenario here and both runs pick it up.
 */
import type { Scenario } from './common.js';
import { scenarioPingArp } from './ping.js';
import { scenarioServices } from './apps.js';
import {
  scenarioHandshake, scenarioBulkLossy, scenarioCloseActive, scenarioClosePassive, scenarioCloseSimultaneous,
  scenarioCloseAbort, scenarioTimeWait, scenarioReuseAddr, scenarioRst, scenarioManyConnections,
} from './tcp.js';
import {
  scenarioIoEcho, scenarioIoHalfClose, scenarioIoRefused, scenarioIoReset, scenarioIoSlowReader, scenarioIoManyAccepts,
  scenarioIoUdp, scenarioIoErrors,
} from './io419.js';
import { scenarioIoHost, scenarioIoMulticast } from './io419_net.js';

import { scenarioDhcpLease, scenarioDhcpReboot, scenarioDhcpHostile } from './lan_dhcp.js';
import { scenarioDns, scenarioMdns } from './lan_dns.js';

export type { Scenario, ScenarioResult } from './common.js';
export { runScenario } from './common.js';

export function scenarios(): Scenario[] {
  return [
    { name: 'pingArp', title: 'ARP resolution and ICMP echo', run: scenarioPingArp },
    { name: 'handshake', title: 'three-way handshake, data both ways, close', run: scenarioHandshake },
    { name: 'bulkLossy', title: 'bulk transfer both ways over a lossy, reordering, duplicating wire', run: scenarioBulkLossy },
    { name: 'closeActive', title: 'active close (FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT) / passive (CLOSE_WAIT, LAST_ACK)', run: scenarioCloseActive },
    { name: 'closePassive', title: 'the server closes first; the client closes on FIN', run: scenarioClosePassive },
    { name: 'closeSimultaneous', title: 'simultaneous close (CLOSING)', run: scenarioCloseSimultaneous },
    { name: 'closeAbort', title: 'tcp_abort: RST, ERR_ABRT here, ERR_RST there', run: scenarioCloseAbort },
    { name: 'timeWait', title: 'TIME_WAIT lasts 2 MSL; a retransmitted FIN is re-acknowledged', run: scenarioTimeWait },
    { name: 'reuseAddr', title: 'SO_REUSEADDR rebinds a port held by TIME_WAIT', run: scenarioReuseAddr },
    { name: 'rst', title: 'RST handling: refused connect, RFC 5961 checks, RST for strays', run: scenarioRst },
    { name: 'manyConnections', title: 'four connections in parallel', run: scenarioManyConnections },
    { name: 'io419Echo', title: 'ECMA-419: Listener + TCP echo, onWritable flow, remoteAddress, number format, close', run: scenarioIoEcho },
    { name: 'io419HalfClose', title: 'ECMA-419: the peer half-closes; data, reply, then onError', run: scenarioIoHalfClose },
    { name: 'io419Refused', title: 'ECMA-419: refused connect is onError', run: scenarioIoRefused },
    { name: 'io419Reset', title: 'ECMA-419: data then a reset; onError after the data is read', run: scenarioIoReset },
    { name: 'io419SlowReader', title: 'ECMA-419: a slow reader closes the window to 0 and reopens it', run: scenarioIoSlowReader },
    { name: 'io419ManyAccepts', title: 'ECMA-419: 12 clients at a listener with backlog 3', run: scenarioIoManyAccepts },
    { name: 'io419Udp', title: 'ECMA-419: UDP echo, read(buffer), a full receive ring drops', run: scenarioIoUdp },
    { name: 'io419Host', title: 'ECMA-419: TCP host resolved by DNS (literal, query, cache), not found / invalid / no answer is onError, close while resolving', run: scenarioIoHost },
    { name: 'io419Multicast', title: 'ECMA-419: UDP multicast add, receive, remove, a shared group, close leaves the group', run: scenarioIoMulticast },
    { name: 'io419Errors', title: 'ECMA-419: every error the classes throw', run: scenarioIoErrors },
    { name: 'dhcpLease', title: 'DHCP: back-off, select, probe, bind, renew at T1, rebind at T2, expiry aborts TCP, release', run: scenarioDhcpLease },
    { name: 'dhcpReboot', title: 'DHCP: INIT-REBOOT after a link flap keeps TCP alive; NAK aborts it; silence keeps the lease', run: scenarioDhcpReboot },
    { name: 'dhcpHostile', title: 'DHCP: NAK hold-off, RFC 5227 conflict and DECLINE, hostile replies and an offer flood', run: scenarioDhcpHostile },
    { name: 'dns', title: 'DNS: literals, cache and TTL, CNAME chain, NXDOMAIN, failover, hostile answers, random ids and ports', run: scenarioDns },
    { name: 'mdns', title: 'mDNS: probe, announce, answer (multicast, QU, legacy), rate limit, conflict and rename, tie-break', run: scenarioMdns },
    { name: 'services', title: 'echo, discard, daytime and chargen services (the esp32 example app)', run: scenarioServices },
  ];
}
