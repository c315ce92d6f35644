/**
 * Cloud Eye events on the wire, shared by the sink, `log2events query` and the emulator.
 * CreateEvents: `POST /V1.0/{project_id}/events`, a JSON array of entries; 201 answers
 * `[{event_id, event_name}]`, one per entry in request order (seed 001).
 * ListEvents: `GET /V1.0/{project_id}/events` (seed 004); ListEventDetail:
 * `GET /V1.0/{project_id}/event/{event_name}` (PROVIDERS.md).
 */

export interface CesDimension {
  name: string;
  value: string;
}

/** `EventItemDetail` (seed 001 table 5). */
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
  dimensions?: CesDimension[];
}

/** One CreateEvents entry (seed 001 table 4). */
export interface CesEntry {
  event_name: string;
  event_source: string;
  /** Epoch milliseconds. */
  time: number;
  detail: CesDetail;
}

/** One item of a CreateEvents 201 answer (seed 001 table 8). */
export interface CesCreatedEvent {
  event_id: string;
  event_name: string;
}

/** One row of a ListEvents answer (seed 004 table 3). */
export interface CesEventSummary {
  event_name?: string;
  event_type?: string;
  sub_event_type?: string;
  event_count?: number;
  latest_occur_time?: number;
  latest_event_source?: string;
}

export interface CesListEventsAnswer {
  events?: CesEventSummary[];
  meta_data?: { total?: number };
}

export interface CesEventDetailAnswer {
  event_name?: string;
  event_type?: string;
  sub_event_type?: string;
  event_users?: string[];
  event_sources?: string[];
  event_info?: Array<{ event_id?: string; event_name?: string; event_source?: string; time?: number; detail?: CesDetail }>;
  meta_data?: { total?: number };
}
