/** The mock HAL: virtual clock, in-memory Ethernet wire with seeded faults, drivers on it. The harness
 *  that builds stacks on it (MockNet) is tools/mocknet.ts. */
export { VirtualClock } from './clock.js';
export {
  MockWire, MockDriver, RawEndpoint, WirePort, WireFaults, WireStats, mockMac,
  type MockWireOptions, type WireFaultSettings, type DropPredicate, type FrameCapture,
} from './wire.js';
