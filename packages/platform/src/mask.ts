/** Shows only the last four characters of a secret: `••••9f2c`. Short secrets are fully hidden. */
export function maskSecret(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value.length <= 8) return '••••';
  return `••••${value.slice(-4)}`;
}
