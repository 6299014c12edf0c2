// src/http reads ParseError from here; it moves to src/message/errors.ts with the REST branches, then this goes.
export { ParseError } from '../message/errors';
