/** Placeholder until the emulator lands (issue 3): says so instead of failing obscurely. */
export async function main(_args: string[]): Promise<number> {
  console.error('evsm-lab emulator: the EVSM emulator is not built yet');
  return 1;
}
