import { KmsError } from '../kms/errors';

/** A command's argument object (or a typed-in value) is not usable; the message names the fix. */
export class ArgumentError extends KmsError {
  constructor(message: string) {
    super('InvalidArgument', message);
  }
}
