/** The packetdrill-dialect runner (see docs/packetdrill.md): parse, run, and the CLI entry. */
export { parseScript, DrillParseError, formatSegment, type Script, type DrillEvent } from './parse.js';
export { runDrill, DrillRunner, type DrillOptions, type DrillResult } from './run.js';
export { drillMain } from './cli.js';
