declare const errorCodeBrand: unique symbol

/**
 * A stable error code (`LB_…`, or Placement's `placement.…`) that logs, tests
 * and clients match on. Only a layer's catalogue (made with `errorCatalogue`)
 * hands these out, so a bare string literal at a throw site does not
 * typecheck: every code has one home.
 */
export type ErrorCode = string & { readonly [errorCodeBrand]: true }

/** The codes of one catalogue, as a union type. */
export type CodeOf<C> = C[keyof C]

/**
 * Declares one layer's catalogue of error codes: each key maps to its exact
 * code text (the texts are what logs and tests see; they never change).
 */
export function errorCatalogue<const T extends Record<string, string>>(codes: T): { readonly [K in keyof T]: T[K] & ErrorCode } {
  return Object.freeze(codes) as unknown as { readonly [K in keyof T]: T[K] & ErrorCode }
}

/** The catalogue of src/util's own errors (`QemuImgError`, `KeystoneLoginError`). */
export const UtilErrorCode = errorCatalogue({
  QEMU_IMG_FAILED: 'LB_QEMU_IMG_FAILED',
  QEMU_IMG_MISSING: 'LB_QEMU_IMG_MISSING',
  KEYSTONE_LOGIN_REFUSED: 'LB_KEYSTONE_LOGIN_REFUSED',
})
