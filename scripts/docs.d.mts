/** One method or event of the manual's API reference: its Chinese name, its API name, its TypeDoc path. */
export interface ManualEntry {
  zh: string;
  name: string;
  path: string[];
}
export declare const MANUAL_TOC: string;
export declare function manualEntries(toc?: string): ManualEntry[];
export declare function buildDocs(out?: string): Promise<{ linked: number; missing: string[] }>;
