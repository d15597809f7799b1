/**
 * dmpush/testing: fast-check arbitraries for your own property tests of DMClient retry timing and
 * device conditions. fast-check is a peer dependency: these arbitraries are built with the copy your
 * tests use, so they compose with your own.
 *
 * @packageDocumentation
 */
export {
  osVersionArb,
  instantArb,
  remainingArb,
  renewalInputArb,
  RENEWAL_BOUNDARY_OFFSETS,
  powerConfigArb,
  networkConfigArb,
  dataSenseConfigArb,
  deviceConditionsArb,
  deviceSpecArb,
  deviceSpecWith,
  pollSetArb,
  pollConfigArb,
  devicePatchArb,
  conditionTimelineArb,
  simulationSpecFor,
  EXAMPLE_PFN,
  INSTANT_MIN,
  INSTANT_MAX,
  DEFAULT_TIMELINE_SPAN,
} from './arbitraries.js';
export type {
  DeviceConditions,
  DeviceSpecInput,
  ConditionChange,
  ConditionTimeline,
  ConditionTimelineOptions,
  SimulationSpecOptions,
} from './arbitraries.js';
