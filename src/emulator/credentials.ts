/**
 * The fake credentials the emulator accepts unless its config says otherwise. They are
 * documented, public and worthless anywhere but on the emulator; `run --emulator` injects them
 * into the cloud sinks.
 */
import type { EmulatorCredentials } from '../sinks/emulator-target.ts';

export const EMULATOR_CREDENTIALS: EmulatorCredentials = {
  aws: {
    accessKeyId: 'AKIDEMULATOR00000000',
    secretAccessKey: 'emulator/secret/aws/0000000000000000000000',
    /** SigV4 credential scope region the emulator expects; `*` in config accepts any. */
    region: 'us-east-1',
  },
  alibaba: {
    accessKeyId: 'LTAIemulator00000000',
    accessKeySecret: 'emulatorAlibabaSecret000000000',
  },
  huawei: {
    ak: 'EMULATORHUAWEIAK0000',
    sk: 'emulatorHuaweiSecretKey0000000000000000',
    projectId: '0123456789abcdef0123456789abcdef',
    /** Accepted as `X-Auth-Token` (stands in for an IAM token). */
    token: 'emulator-iam-token',
  },
};

export type { EmulatorCredentials };
