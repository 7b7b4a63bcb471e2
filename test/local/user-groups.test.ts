/**
 * The local user pool's membership map: the format `startLocalStack({ userGroups })` and
 * `LOCAL_USER_GROUPS` share, refused with an error that names the setting, the user and the value.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_USER_GROUPS, GroupDirectory, parseUserGroupsJson, UserGroupsError } from '../../local/user-groups.js';

describe('GroupDirectory', () => {
  it('looks users up as they sign in, case-insensitively; unknown users are in no group', () => {
    const directory = GroupDirectory.from({ Alice: ['team-a', 'ops'], 'zoë': ['team-b'] }, 'userGroups');
    expect(directory.groupsOf('alice')).toEqual(['team-a', 'ops']);
    expect(directory.groupsOf('ALICE')).toEqual(['team-a', 'ops']);
    expect(directory.groupsOf('zoë'.normalize('NFD'))).toEqual(['team-b']);
    expect(directory.groupsOf('mallory')).toEqual([]);
  });

  it('holds the demo membership: alice and bob in team-a, carol in team-b', () => {
    const directory = GroupDirectory.from(DEMO_USER_GROUPS, 'userGroups');
    expect(['alice', 'bob', 'carol', 'dave'].map((name) => directory.groupsOf(name))).toEqual([['team-a'], ['team-a'], ['team-b'], []]);
  });

  it('accepts group names Cognito allows even where the Lambda will grant nothing for them', () => {
    expect(GroupDirectory.from({ alice: ['team/x', 'ops*', 'Zoë’s'] }, 'userGroups').groupsOf('alice')).toEqual(['team/x', 'ops*', 'Zoë’s']);
  });

  it.each<[string, unknown, string]>([
    ['not an object', ['alice'], 'userGroups must map usernames to arrays of group names, such as {"alice":["team-a"]} (received a value of type array)'],
    ['a username with white space', { 'al ice': ['a'] }, 'userGroups has a key that is not a Cognito username (1 to 128 letters, marks, symbols, digits or punctuation, no white space): "al ice"'],
    ['one user spelled twice', { alice: ['a'], ALICE: ['b'] }, 'userGroups lists "alice" and "ALICE", which are the same user (usernames are case-insensitive)'],
    ['groups that are not an array', { alice: 'team-a' }, 'userGroups["alice"] must be an array of group names (received "team-a")'],
    ['a group with white space', { alice: ['team a'] }, 'userGroups["alice"][0] must be a Cognito group name (1 to 128 letters, marks, symbols, digits or punctuation, no white space) (received "team a")'],
    ['a group that is not a string', { alice: ['a', 7] }, 'userGroups["alice"][1] must be a Cognito group name (1 to 128 letters, marks, symbols, digits or punctuation, no white space) (received 7)'],
    ['an empty group name', { alice: [''] }, 'userGroups["alice"][0] must be a Cognito group name (1 to 128 letters, marks, symbols, digits or punctuation, no white space) (received "")'],
    ['a repeated group', { alice: ['a', 'a'] }, 'userGroups["alice"] lists "a" twice'],
    ['more groups than Cognito allows', { alice: Array.from({ length: 101 }, (_, i) => `g${i}`) }, 'userGroups["alice"] has 101 groups; Cognito puts a user in at most 100'],
  ])('refuses %s, naming the setting and the value', (_name, value, message) => {
    expect(() => GroupDirectory.from(value, 'userGroups')).toThrow(new UserGroupsError('userGroups', message));
  });
});

describe('parseUserGroupsJson (LOCAL_USER_GROUPS)', () => {
  it('parses and validates the JSON', () => {
    expect(parseUserGroupsJson('{"alice":["team-a"],"dave":[]}', 'LOCAL_USER_GROUPS')).toEqual({ alice: ['team-a'], dave: [] });
  });

  it('names the variable and shows the value when it is not JSON, or not a membership map', () => {
    expect(() => parseUserGroupsJson("{alice:['team-a']}", 'LOCAL_USER_GROUPS')).toThrow(
      'LOCAL_USER_GROUPS must be a JSON object such as {"alice":["team-a"]} (received "{alice:[\'team-a\']}", which is not JSON)',
    );
    expect(() => parseUserGroupsJson('{"alice":"team-a"}', 'LOCAL_USER_GROUPS')).toThrow('LOCAL_USER_GROUPS["alice"] must be an array of group names (received "team-a")');
  });
});
