import { readFileSync } from 'node:fs';

/** TLS files as configured (`tls: { cert_file, key_file, client_ca_file }`). */
export interface TlsFiles {
  cert_file: string;
  key_file: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  client_ca_file?: string | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/** Reads the PEM files once at start; a missing file is a start-up error naming the key. */
export function readTlsFiles(tls: TlsFiles): TlsMaterial {
  const read = (path: string, key: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`tls.${key}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const material: TlsMaterial = { cert: read(tls.cert_file, 'cert_file'), key: read(tls.key_file, 'key_file') };
  if (tls.client_ca_file) material.ca = read(tls.client_ca_file, 'client_ca_file');
  return material;
}
