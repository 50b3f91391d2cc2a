/** An exit status a command wants (docker's cli.StatusError): `run` exits with the container's code. */

/** Thrown to make berth exit with `status`, after printing `message` lines (if any). */
export class StatusError extends Error {
  readonly status: number;
  constructor(status: number, message = "") {
    super(message);
    this.name = "StatusError";
    this.status = status;
  }
}
