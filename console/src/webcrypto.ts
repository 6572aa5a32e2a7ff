// fhirclient falls back to the isomorphic-webcrypto shim when `globalThis.crypto` is missing; every
// browser the console supports has Web Crypto, so the bundle takes the browser's own (vite.config
// aliases the shim here) instead of a shim written for IE11 and old Safari.
export default globalThis.crypto;
