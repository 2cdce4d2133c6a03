// The development set `npm run eval` scores: every clip of ../shared/media we have, each with
// what it can tell us. Labelled clips give F1 and screen-time errors; the crowd gives a count of
// identities to compare with the faces seen by eye; the smoke clips must run end to end; the
// group photo measures detection recall.

export type ClipKind =
  /** Ground truth per shot (episode_gt.json format): scored with scoreScreentime. */
  | 'labelled'
  /** No labels: the number of identities is reported, and a contact sheet to look at. */
  | 'crowd'
  /** No labels: must run end to end with sane output. */
  | 'smoke';

export interface DevClip {
  name: string;
  /** Media file, relative to the media folder. */
  video: string;
  kind: ClipKind;
  /** Ground truth file, relative to the media folder (labelled clips). */
  truth?: string;
  /** What the clip is for. */
  about: string;
  /** Crowd clips: distinct faces visible for at least 1 s, counted by eye (pipeline/eval/labels/README.md). */
  facesVisible?: number;
  /**
   * Folder of reference photos (relative to the media folder), one `<person>.png` per labelled
   * person: the clip is also named from a people library built from them (named-time scores).
   */
  refs?: string;
  /** People enrolled for the partial-library check (the others must get no name). */
  refsPart?: readonly string[];
}

export const DEV_CLIPS: readonly DevClip[] = [
  { name: 'episode_gt', video: 'episode_gt.mp4', truth: 'episode_gt.json', kind: 'labelled', about: 'staged: 18 shots of 8 people from photos' },
  { name: 'fotb', video: 'dev/fotb.mp4', truth: 'dev/fotb.json', kind: 'labelled', about: 'real TV: family dinner, 41 segments, 6 people, subtitles', refs: 'dev/refs', refsPart: ['eddie', 'grandma', 'louis'] },
  { name: 'covent_garden', video: 'dev/covent_garden.mp4', kind: 'crowd', facesVisible: 8, about: 'real street crowd, no cuts, small faces (count: labels/README.md)' },
  { name: 'short_hamilton_clip', video: 'short_hamilton_clip.mp4', kind: 'smoke', about: 'real stage footage, starts at 0.852 s' },
  { name: 'Megamind', video: 'Megamind.avi', kind: 'smoke', about: 'animated faces, MPEG-4 in AVI' },
];

/** The group photo scored for detection recall (29 people; detection_0 is a stone ornament). */
export const DEV_PHOTO = { name: 'solvay_1927', image: 'solvay_1927.png', truth: 'solvay_1927_faces.txt', people: 29 } as const;
