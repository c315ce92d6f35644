export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** The config names no usable credential source. */
export class AlibabaConfigError extends Error {}
