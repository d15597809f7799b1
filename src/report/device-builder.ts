/**
 * One device's timeline, built from its events in time order: the device's enrollment, its
 * conditions, its channel and renewals, its pushes and its sessions each have a lane builder; this
 * class hands every event to the one it concerns and, at the end, closes every open period.
 */
import type { OsVersion } from '../core/dmclient/renewal-policy.js';
import type { TimelineEvent } from '../core/timeline/events.js';
import { ChannelLanes } from './channel-lanes.js';
import { ConditionLanes } from './condition-lanes.js';
import { EnrollmentLane } from './enrollment-lane.js';
import { LaneItems } from './lane-items.js';
import { PushLane } from './push-lane.js';
import { SessionLane } from './session-lane.js';
import type { Lane } from './timeline-types.js';

export class DeviceBuilder {
  os: OsVersion | null = null;
  pfn: string | null = null;
  private readonly out: LaneItems;
  readonly enrollment: EnrollmentLane;
  readonly conditions: ConditionLanes;
  readonly channel: ChannelLanes;
  readonly pushes: PushLane;
  readonly sessions: SessionLane;

  constructor(
    readonly id: string,
    /** Items that end before this instant are left out (the lanes still follow every event). */
    from?: number,
  ) {
    // One item list for all lanes: item ids count up across lanes in the order items are made.
    this.out = new LaneItems(id, from);
    this.enrollment = new EnrollmentLane(this.out);
    this.conditions = new ConditionLanes(this.out);
    this.channel = new ChannelLanes(this.out);
    this.pushes = new PushLane(this.out);
    this.sessions = new SessionLane(this.out);
  }

  apply(e: TimelineEvent): void {
    switch (e.type) {
      case 'device.started':
        this.os = e.os;
        this.pfn = e.pfn;
        this.conditions.start(e);
        this.channel.start(e.time);
        break;
      case 'wns.connected':
      case 'wns.disconnected':
      case 'power.changed':
      case 'battery-saver.changed':
      case 'data-sense.changed':
      case 'network.changed':
      case 'screen.changed':
      case 'device.powered-off':
      case 'device.booted':
        this.conditions.apply(e);
        break;
      case 'channel.requested':
      case 'channel.issued':
      case 'channel.request-failed':
      case 'channel.expired':
      case 'channel.revoked':
      case 'channel.revoke-failed':
      case 'renewal.skipped':
      case 'renewal.scheduled':
      case 'push.status':
        this.channel.apply(e);
        break;
      case 'push.sent':
      case 'push.cached':
      case 'push.received':
      case 'push.held':
      case 'push.dropped':
      case 'push.rejected':
        this.pushes.apply(e);
        break;
      case 'session.started':
      case 'session.completed':
      case 'session.failed':
      case 'session.queued':
      case 'session.skipped':
        this.sessions.apply(e);
        break;
      case 'enrollment.started':
      case 'enrollment.discovered':
      case 'enrollment.completed':
      case 'enrollment.failed':
      case 'unenrolled':
        this.enrollment.apply(e);
        break;
      case 'device.rebooted':
      case 'wns.pfn-blocked':
      case 'wns.pfn-unblocked':
      case 'push-service.changed': // shown by its effect: a push's `session.skipped`
        break;
      default:
        // Every event type has its case: a new one fails to compile here.
        return e satisfies never;
    }
  }

  /** Closes every open period at `end` and returns the lanes. */
  finish(end: number): Lane[] {
    this.enrollment.finish(end);
    this.conditions.finish(end);
    this.channel.finish(end, this.os);
    this.pushes.finish(end);
    this.sessions.finish(end);
    return this.out.lanes();
  }
}
