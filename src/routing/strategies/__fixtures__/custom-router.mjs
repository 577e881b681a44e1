// A custom router as a user would write one: long prompts to the strongest candidate, the rest to
// the first; `metadata.plan: "panel"` asks for an ensemble of the first two.
export function route(request, candidates) {
  if (request.metadata?.plan === 'panel') {
    return {
      kind: 'parallel',
      strategy: 'mine',
      members: candidates.slice(0, 2).map((m) => ({ model: m.name })),
      select: 'vote',
      reason: 'panel asked for',
    };
  }
  if (request.metadata?.plan === 'bogus') return { kind: 'sequence', attempts: [{ model: 'nope' }] };
  if (request.metadata?.plan === 'throw') throw new Error('router bug');
  const text = (request.messages ?? []).flatMap((m) => m.content.map((p) => p.text ?? '')).join('');
  if (text.length > 100) return [...candidates].sort((a, b) => b.quality - a.quality)[0].name;
  return candidates[0].name;
}
