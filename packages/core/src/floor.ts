/**
 * The replay/live seam's test: was a live event already accounted for by the replay whose
 * `through` is `floor`? One position for a transport with one order, one per lane for a
 * transport with several (see `TransportMessage.lane`).
 */
import type { LaneFloors, TransportMessage } from './transport.js';

/** True when `message` is at or before `floor` in its lane's order (or in the one order). */
export function atOrBeforeFloor(message: TransportMessage, floor: number | string | LaneFloors | undefined): boolean {
  const position = message.position;
  if (floor === undefined || position === undefined) return false;
  if (typeof floor !== 'object') return message.lane === undefined && position <= floor;
  const lane = message.lane;
  if (lane === undefined) return false;
  const laneFloor = floor[lane];
  return laneFloor !== undefined && position <= laneFloor;
}
