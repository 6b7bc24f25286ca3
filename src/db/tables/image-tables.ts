/** Row types of the image tables. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ImageTables {}
