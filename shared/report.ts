// The show report's shape (pipeline/export/show-report.ts builds it): screen time per person per
// episode, as the CLI writes it as JSON and the window shows it.

export interface ReportPerson {
  /** Stable key of the row: `person:<id>`, `name:<name>` or `episode:<index>:<identity_id>`. */
  key: string;
  name: string;
  personId: string | null;
  /** Joined across episodes (false: an unnamed person of one episode). */
  joined: boolean;
  /** Seconds on screen per episode, in `episodes` order; 0 where not seen. */
  seconds: number[];
  totalS: number;
  /** Number of episodes with time > 0. */
  episodesSeen: number;
}

export interface ShowReport {
  episodes: Array<{ name: string; durationS: number }>;
  people: ReportPerson[];
}
