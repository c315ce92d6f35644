/**
 * CloudMonitor `PutCustomEvent` on the wire (CMS API 2019-01-01, RPC style): the sink builds
 * these, the emulator parses and stores them.
 */

export const CMS_ACTION = 'PutCustomEvent';
/**
 * The sink's start-up check: DescribeCustomEventAttribute (query custom events, permission
 * `cms:DescribeCustomEventAttribute`, a read) with `PageSize=1`. Success is `Code` "200" as for
 * PutCustomEvent, with `Success` and `CustomEvents.CustomEvent[]`.
 */
export const CMS_PROBE_ACTION = 'DescribeCustomEventAttribute';
export const CMS_VERSION = '2019-01-01';
export const CMS_FORM_TYPE = 'application/x-www-form-urlencoded';

/** One `EventInfo.N` of the request, flattened to `EventInfo.N.EventName=...` form parameters. */
export interface CmsEventInfo {
  EventName: string;
  Content: string;
  /** `yyyyMMddTHHmmss.SSSZ` or epoch milliseconds (the sink sends epoch ms). */
  Time: string;
  /** Application group id; `0` = none. */
  GroupId: string;
}

/** What the emulator stores: Time and GroupId are optional on the wire. */
export type StoredCmsEventInfo = Pick<CmsEventInfo, 'EventName' | 'Content'> & Partial<Pick<CmsEventInfo, 'Time' | 'GroupId'>>;

/** The success answer: HTTP 200 with `Code` "200" (some gateways send the number 200). */
export interface CmsSuccess {
  Code: '200' | 200;
  Message: string;
  RequestId: string;
}

/** An error answer (any status, and sometimes inside a 200): `Code` names the error. */
export interface CmsError {
  RequestId: string;
  HostId?: string;
  Code: string;
  Message: string;
  Recommend?: string;
}

/** `EventInfo.N.*` form parameters of a request carrying `infos`, N from 1. */
export function eventInfoParams(infos: readonly CmsEventInfo[]): Record<string, string> {
  const params: Record<string, string> = {};
  infos.forEach((info, i) => {
    const n = i + 1;
    params[`EventInfo.${n}.EventName`] = info.EventName;
    params[`EventInfo.${n}.Content`] = info.Content;
    params[`EventInfo.${n}.Time`] = info.Time;
    params[`EventInfo.${n}.GroupId`] = info.GroupId;
  });
  return params;
}
