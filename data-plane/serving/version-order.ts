// The order of a model's versions: "newest" is the greatest (a request naming no version gets it).

/** Numeric versions compare as numbers ("10" after "9"); others as text. */
export function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && a.trim() !== '' && b.trim() !== '') return na - nb;
  return a.localeCompare(b);
}
