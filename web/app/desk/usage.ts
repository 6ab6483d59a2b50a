import { byId, fill } from '../shared/dom';
import { api } from '../shared/officer';

/** Verifications per day for the last 7 days (GET /v1/usage per day), as an SVG bar chart with a table. */

interface Usage {
  readonly verifications: number;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Readonly<Record<string, string | number>>): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, String(v));
  return element;
}

export async function renderUsage(): Promise<void> {
  const day = 86_400_000;
  const today = Math.floor(Date.now() / day) * day;
  const days = Array.from({ length: 7 }, (_, i) => today - (6 - i) * day);
  const counts = await Promise.all(
    days.map(async (start) => {
      const from = new Date(start).toISOString();
      const to = new Date(start + day).toISOString();
      return (await api<Usage>(`/v1/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`))
        .verifications;
    }),
  );
  const max = Math.max(1, ...counts);
  const chart = svg('svg', { viewBox: '0 0 350 170', role: 'img', 'aria-labelledby': 'usage-desc', width: '100%' });
  const title = svg('title', { id: 'usage-desc' });
  title.textContent = `Verifications per day: ${counts.join(', ')}`;
  chart.append(title);
  counts.forEach((count, i) => {
    const height = (count / max) * 105;
    chart.append(svg('rect', { x: 10 + i * 48, y: 130 - height, width: 36, height, class: 'bar' }));
    const label = svg('text', { x: 28 + i * 48, y: 148, 'text-anchor': 'middle', 'font-size': 11 });
    label.textContent = new Date(days[i] ?? 0).toISOString().slice(5, 10);
    const value = svg('text', { x: 28 + i * 48, y: 125 - height, 'text-anchor': 'middle', 'font-size': 11 });
    value.textContent = String(count);
    chart.append(label, value);
  });
  fill(byId('usage-chart'), chart);
}
