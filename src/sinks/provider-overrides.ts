import type { ProviderName } from '../model/event.ts';
import { cmsOverrides } from './alibaba-cms/overrides.ts';
import { awsOverrides } from './aws-eventbridge/overrides.ts';
import { aomOverrides } from './huawei-aom/overrides.ts';
import { cesOverrides } from './huawei-ces/overrides.ts';
import type { OverrideSchema } from './override-values.ts';

/** The schema of each provider's override block, checked at load and when an event is built. */
export const PROVIDER_OVERRIDES: Record<ProviderName, OverrideSchema> = {
  aws: awsOverrides,
  alibaba: cmsOverrides,
  huawei_ces: cesOverrides,
  huawei_aom: aomOverrides,
};
