/** The mock HAL: virtual clock, in-memory Ethernet wire with seeded faults, MockNet harness. */
export { VirtualClock } from './clock.js';
export {
  MockWire, MockDriver, RawEndpoint, WirePort, WireFaults, WireStats, mockMac,
  type MockWireOptions, type WireFaultSettings, type DropPredicate,
} from './wire.js';
export { MockNet, type MockNetOptions, type MockStackOptions } from './net.js';
export { PcapWriter, parsePcap, LINKTYPE_ETHERNET, type PcapWriterOptions, type PcapFile, type PcapRecord } from '../pcap.js';
