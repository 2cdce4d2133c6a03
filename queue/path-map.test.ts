import { describe, expect, it } from 'vitest';
import { mapEpisodePath, parsePathMapping } from './path-map.js';

describe('parsePathMapping', () => {
  it('splits at the first =', () => {
    expect(parsePathMapping('/Volumes/shows=/mnt/shows')).toEqual({ from: '/Volumes/shows', to: '/mnt/shows' });
    expect(parsePathMapping('/a=/b=c')).toEqual({ from: '/a', to: '/b=c' });
  });
  it('refuses a half mapping', () => {
    expect(() => parsePathMapping('/a')).toThrow(/FROM=TO/);
    expect(() => parsePathMapping('=/b')).toThrow(/FROM=TO/);
    expect(() => parsePathMapping('/a=')).toThrow(/FROM=TO/);
  });
});

describe('mapEpisodePath', () => {
  const maps = [
    { from: '/Volumes/shows', to: '/mnt/shows' },
    { from: '/Volumes/shows/archive', to: '/mnt/archive' },
    { from: 'Z:\\shows', to: '/srv/shows' },
  ];
  it('rewrites the longest whole-component prefix', () => {
    expect(mapEpisodePath('/Volumes/shows/s01/ep1', maps, '/')).toBe('/mnt/shows/s01/ep1');
    expect(mapEpisodePath('/Volumes/shows/archive/ep9', maps, '/')).toBe('/mnt/archive/ep9');
    expect(mapEpisodePath('/Volumes/shows', maps, '/')).toBe('/mnt/shows');
    expect(mapEpisodePath('/Volumes/shows/', maps, '/')).toBe('/mnt/shows');
  });
  it('does not match half a folder name', () => {
    expect(mapEpisodePath('/Volumes/showsX/ep1', maps, '/')).toBe('/Volumes/showsX/ep1');
  });
  it('leaves unmapped paths alone', () => {
    expect(mapEpisodePath('/home/me/ep1', maps, '/')).toBe('/home/me/ep1');
  });
  it('maps Windows paths with either slash and any case to POSIX', () => {
    expect(mapEpisodePath('Z:\\shows\\s01\\ep1', maps, '/')).toBe('/srv/shows/s01/ep1');
    expect(mapEpisodePath('z:/Shows/s01/ep1', maps, '/')).toBe('/srv/shows/s01/ep1');
  });
  it('maps POSIX paths to a Windows worker', () => {
    expect(mapEpisodePath('/Volumes/shows/ep1', [{ from: '/Volumes/shows', to: 'D:\\shows\\' }], '\\')).toBe('D:\\shows\\ep1');
  });
  it('is case-sensitive for POSIX paths', () => {
    expect(mapEpisodePath('/volumes/shows/ep1', maps, '/')).toBe('/volumes/shows/ep1');
  });
});
