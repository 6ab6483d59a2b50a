/** ICAO 9303 part 3, 4.9: weights 7, 3, 1 repeating; digits count as themselves, A–Z as 10–35, `<` as 0. */
export function checkDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    sum += charValue(field.charAt(i)) * ([7, 3, 1][i % 3] ?? 0);
  }
  return String(sum % 10);
}

function charValue(char: string): number {
  if (char >= '0' && char <= '9') {
    return char.charCodeAt(0) - 48;
  }
  if (char >= 'A' && char <= 'Z') {
    return char.charCodeAt(0) - 55;
  }
  return 0;
}
