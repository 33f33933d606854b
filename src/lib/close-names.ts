/**
 * The few names of a list closest to one that was not found, for an error that helps: "Powr" ->
 * "Power". Case and spaces do not count; a name containing the asked one (or the other way round)
 * comes first, then by edit distance, and only names reasonably close are offered.
 */
export function closeNames(asked: string, names: readonly string[], limit = 3): string[] {
  const wanted = normalize(asked);
  if (wanted === '') return [];
  const scored = [...new Set(names)]
    .map((name) => {
      const candidate = normalize(name);
      const contains = candidate.includes(wanted) || wanted.includes(candidate);
      const length = Math.max([...wanted].length, [...candidate].length);
      return { name, contains, distance: editDistance(wanted, candidate), length };
    })
    // About one typo in four letters: "Powr" finds "Power", not "Down".
    .filter(({ contains, distance, length }) => contains || distance <= Math.max(1, Math.floor(length / 4)));
  scored.sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance);
  return scored.slice(0, limit).map(({ name }) => name);
}

/** Lower case, spaces squeezed: "volume  +" and "Volume +" are the same key. */
export function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, ' ');
}

function editDistance(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1] + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length];
}
