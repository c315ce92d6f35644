/**
 * AOM PushEvents on the wire (`PUT /v2/{project_id}/push/events[?action=clear]`, body
 * `{events: [...]}`; 204 with no body). Shared by the sink and the emulator.
 */
export interface AomEvent {
  starts_at?: number;
  ends_at?: number;
  timeout?: number;
  metadata: Record<string, string>;
  annotations?: Record<string, unknown>;
  attach_rule?: Record<string, unknown>;
  id?: string;
}
