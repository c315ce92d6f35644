/**
 * Cloud Eye CreateEvents on the wire (`POST /V1.0/{project_id}/events`, a JSON array of
 * entries; 201 answers `[{event_id, event_name}]`). Shared by the sink and the emulator.
 */
export interface CesDetail {
  content?: string;
  group_id?: string;
  resource_id?: string;
  resource_name?: string;
  event_state?: string;
  event_level?: string;
  event_user?: string;
  event_type?: string;
  sub_event_type?: string;
  dimensions?: Array<{ name: string; value: string }>;
}
