/** Row types of the placement tables. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PlacementTables {}
