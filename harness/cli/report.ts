/** Placeholder until the report verb lands (issue 6): says so instead of failing obscurely. */
export async function main(_args: string[]): Promise<number> {
  console.error('evsm-lab report: not built yet');
  return 1;
}
