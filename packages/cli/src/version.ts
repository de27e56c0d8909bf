/** The CLI's version, kept equal to package.json (a test pins it). */
export const CLI_VERSION = '0.1.0';
