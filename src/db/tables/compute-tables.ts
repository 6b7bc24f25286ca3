/** Row types of the compute tables. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ComputeTables {}
