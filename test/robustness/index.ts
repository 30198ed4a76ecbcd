/**
 * The robustness suite's registry: attacks from a hostile LAN against the board configuration.
 * Every scenario runs on Node and, bundled with the mock HAL, inside XS (robustness.test.ts), and
 * `npm run bench -- --only attack` prints the figures each one reports.
 */
import type { Scenario } from '../scenarios/common.js';
import { scenarioArpPoison, scenarioArpFlood, scenarioIcmpReflection } from './scenarios_link.js';

export function robustnessScenarios(): Scenario[] {
  return [
    { name: 'arpPoison', title: 'ARP poisoning of the gateway (unsolicited replies and requests)', run: scenarioArpPoison },
    { name: 'arpFlood', title: 'spoofed sources churning the ARP cache', run: scenarioArpFlood },
    { name: 'icmpReflection', title: 'ICMP error reflection from datagrams to a closed port', run: scenarioIcmpReflection },
  ];
}
