/** The one error type routes throw to answer with a 4xx/5xx and a safe message. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
    /** Extra, safe-to-show fields for JSON answers (e.g. which parameter). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
