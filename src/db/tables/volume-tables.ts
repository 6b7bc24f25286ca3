/** Row types of the volume tables. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface VolumeTables {}
