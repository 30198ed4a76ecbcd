/**
 * The robustness suite's registry: attacks from a hostile LAN against the board configuration.
 * Every scenario runs on Node and, bundled with the mock HAL, inside XS (robustness.test.ts), and
 * `npm run bench -- --only attack` prints the figures each one reports against its target.
 */
import type { Scenario } from '../scenarios/common.js';
import { scenarioArpPoison, scenarioArpFlood, scenarioIcmpReflection } from './scenarios_link.js';
import { synFlood, starvation, pinned, scenarioReflection } from './scenarios_tcp.js';

/** A scenario with the target its checks enforce, as the attack bench prints it. */
export interface AttackScenario extends Scenario {
  target: string;
}

/** Every attack, in the order of the issue. */
export function attackScenarios(): AttackScenario[] {
  return [
    { name: 'synFlood', title: '10,000 spoofed SYNs at line rate', run: () => synFlood(false),
      target: '>= 90% legit connects ok, all within 1 s after the flood; stream keeps >= 80% throughput' },
    { name: 'synFloodResolved', title: 'the same, the attacker answering ARP for its spoofed sources', run: () => synFlood(true),
      target: '>= 90% legit connects ok, all within 1 s after the flood; stream keeps >= 80% throughput' },
    { name: 'starvationOoo', title: '4 connections x 8 one-byte out-of-order segments', run: () => starvation('ooo'),
      target: 'a legit 64 KiB echo completes' },
    { name: 'starvationReader', title: '4 chargen readers that never read', run: () => starvation('reader'),
      target: 'a legit 64 KiB echo completes' },
    { name: 'starvationEcho', title: '4 echo writers that never read', run: () => starvation('echo'),
      target: 'a legit 64 KiB echo completes' },
    { name: 'pinnedIdle', title: '8 idle connections', run: () => pinned('idle'), target: 'pcbs freed within SERVICE_IDLE_TIMEOUT' },
    { name: 'pinnedVanish', title: 'a peer that vanishes (FIN_WAIT_1)', run: () => pinned('vanish'), target: 'pcb freed within TCP_ORPHAN_TIMEOUT' },
    { name: 'pinnedZeroWindow', title: 'a peer answering every probe with window 0', run: () => pinned('zerowin'),
      target: 'pcb freed within TCP_USER_TIMEOUT (or the service idle limit)' },
    { name: 'reflection', title: 'spoofed RST/SYN/out-of-window segments; ACKs to a closed port', run: scenarioReflection,
      target: '<= configured challenge-ACK / RST rates' },
    { name: 'arpPoison', title: 'ARP poisoning of the gateway (unsolicited replies and requests)', run: scenarioArpPoison,
      target: 'gateway entry never poisoned, no ping lost' },
    { name: 'arpFlood', title: 'spoofed sources churning the ARP cache', run: scenarioArpFlood,
      target: 'the honest peer stays resolved; new resolutions rate-limited' },
    { name: 'icmpReflection', title: 'ICMP error reflection from datagrams to a closed port', run: scenarioIcmpReflection,
      target: '<= burst + 1/s per source, <= global budget' },
  ];
}

/** The suite that must pass: every attack, its defences in place. */
export function robustnessScenarios(): Scenario[] {
  return attackScenarios();
}
