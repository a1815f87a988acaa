// The fields of a catalog record (KV `<prefix>_models`, key `<name>.<version>`, JSON) that
// placement needs: what a pod must fetch and check, and where it may run. The registry owns the
// full record; this view reads only these and ignores the rest.
export interface CatalogView {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly sizeBytes: number;
  readonly objectName: string;
  readonly sealedDataKey: string;
  /** Allowed regions; empty: anywhere. */
  readonly regions: readonly string[];
  readonly configYaml?: string;
}

/**
 * The view of one record, or undefined when it is not a usable catalog record. A record still
 * `uploading` is not placeable yet: the registry writes it before the artifact, so a pod assigned
 * it then would find no object and fail the load. The write that clears the flag places it.
 */
export function readCatalogRecord(bytes: Uint8Array): CatalogView | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const name = str('name');
  const version = str('version');
  const digest = str('digest');
  const objectName = str('objectName');
  const sealedDataKey = str('sealedDataKey');
  const sizeBytes = raw.sizeBytes;
  if (!name || !version || !digest || !objectName || !sealedDataKey || typeof sizeBytes !== 'number')
    return undefined;
  if (raw.uploading === true) return undefined;
  const regions = Array.isArray(raw.regions)
    ? raw.regions.filter((r): r is string => typeof r === 'string')
    : [];
  const configYaml = str('configYaml');
  return {
    name,
    version,
    digest,
    sizeBytes,
    objectName,
    sealedDataKey,
    regions,
    ...(configYaml ? { configYaml } : {}),
  };
}
