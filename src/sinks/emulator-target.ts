/**
 * Where `run --emulator` (or `query --emulator-url`) points the cloud sinks: a provider emulator's
 * base URL and the credentials it accepts. Handed to the sinks by whoever started the emulator,
 * so that no sink depends on the emulator's code.
 */
export interface EmulatorTarget {
  url: string;
  credentials: EmulatorCredentials;
}

export interface EmulatorCredentials {
  aws: { accessKeyId: string; secretAccessKey: string; region: string };
  alibaba: { accessKeyId: string; accessKeySecret: string };
  huawei: { ak: string; sk: string; projectId: string; token: string };
}
