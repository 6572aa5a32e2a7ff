// Given names that people use interchangeably at registration desks (William/Bill, Katherine/Kate,
// Francisco/Paco). Curated by hand for this server, written here rather than taken from a data set:
// each group is a formal name with the familiar forms of it that standard name dictionaries record
// (e.g. P. Hanks, K. Hardcastle, F. Hodges, "A Dictionary of First Names", Oxford University
// Press, 2nd ed. 2006, for the English forms; Spanish, Slavic, Arabic and West African forms as
// commonly attested). A form may belong to several groups (Sam: Samuel, Samantha).
import { foldName } from './normalise';

const GROUPS: readonly string[][] = [
  // English, men
  ['william', 'bill', 'billy', 'will', 'willy', 'liam'],
  ['robert', 'bob', 'bobby', 'rob', 'robbie', 'bert'],
  ['michael', 'mike', 'mikey', 'mick', 'mickey'],
  ['james', 'jim', 'jimmy', 'jamie', 'jimi'],
  ['richard', 'rick', 'ricky', 'dick', 'rich', 'richie'],
  ['thomas', 'tom', 'tommy'],
  ['charles', 'charlie', 'chuck', 'chas'],
  ['joseph', 'joe', 'joey', 'jos'],
  ['daniel', 'dan', 'danny'],
  ['matthew', 'matt', 'matty'],
  ['andrew', 'andy', 'drew'],
  ['edward', 'ed', 'eddie', 'ted', 'teddy', 'ned'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['christopher', 'chris', 'kit', 'topher'],
  ['anthony', 'tony'],
  ['jonathan', 'jon', 'jonny', 'john'],
  ['john', 'jack', 'johnny'],
  ['samuel', 'sam', 'sammy'],
  ['henry', 'harry', 'hank', 'hal'],
  ['nicholas', 'nick', 'nicky', 'nico'],
  ['timothy', 'tim', 'timmy'],
  ['alexander', 'alex', 'al', 'sandy', 'xander'],
  ['david', 'dave', 'davey'],
  ['steven', 'steve', 'stevie', 'stephen'],
  ['peter', 'pete'],
  ['gregory', 'greg'],
  ['patrick', 'pat', 'paddy'],
  ['raymond', 'ray'],
  ['lawrence', 'larry', 'laurie'],
  ['gerald', 'gerry', 'jerry'],
  ['frederick', 'fred', 'freddie'],
  ['zachary', 'zach', 'zack'],
  // English, women
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'eliza', 'libby', 'bess', 'elsie'],
  ['margaret', 'maggie', 'meg', 'peggy', 'marge', 'madge', 'greta'],
  ['katherine', 'kate', 'katie', 'kathy', 'kath', 'kat', 'kitty', 'catherine', 'kathryn'],
  ['catherine', 'cathy', 'cath', 'cat', 'kate', 'katie'],
  ['jennifer', 'jen', 'jenny', 'jenn'],
  ['susan', 'sue', 'susie', 'suzy'],
  ['abigail', 'abby', 'abbie', 'gail'],
  ['patricia', 'pat', 'patty', 'trish', 'tricia'],
  ['deborah', 'debbie', 'deb', 'debra'],
  ['victoria', 'vicky', 'vicki', 'tori'],
  ['samantha', 'sam', 'sammy'],
  ['rebecca', 'becky', 'becca'],
  ['dorothy', 'dot', 'dottie', 'dolly'],
  ['emily', 'em', 'emmy'],
  ['olivia', 'liv', 'livvy'],
  ['charlotte', 'charlie', 'lottie'],
  ['hannah', 'hanna'],
  ['megan', 'meg'],
  ['mary', 'molly', 'polly', 'mae'],
  ['christine', 'chris', 'chrissy', 'christina', 'tina'],
  ['alexandra', 'alex', 'sandra', 'lexi'],
  ['barbara', 'barb', 'babs'],
  ['jacqueline', 'jackie'],
  ['theresa', 'teresa', 'terry', 'tess', 'tessa'],
  // Spanish
  ['jose', 'pepe', 'chepe'],
  ['francisco', 'paco', 'pancho', 'curro', 'frank'],
  ['alejandro', 'alex', 'ale', 'jandro'],
  ['guadalupe', 'lupe', 'lupita'],
  ['eduardo', 'lalo', 'edu'],
  ['manuel', 'manolo', 'manny'],
  ['enrique', 'quique'],
  ['ignacio', 'nacho'],
  ['maria', 'mari', 'maruca'],
  ['santiago', 'santi'],
  ['isabel', 'isa', 'chabela'],
  ['rosa', 'rosita'],
  ['fernanda', 'fer'],
  // Slavic
  ['katarzyna', 'kasia'],
  ['dmitri', 'dima', 'mitya'],
  ['natalia', 'natasha', 'nata'],
  ['aleksandr', 'sasha', 'sanya'],
  ['nikolai', 'kolya'],
  ['sergei', 'seryozha'],
  ['magdalena', 'magda'],
  ['agnieszka', 'aga'],
  ['svetlana', 'sveta'],
  ['irina', 'ira'],
  ['tomasz', 'tomek'],
  ['krzysztof', 'krzys'],
  // Arabic, West African
  ['mohammed', 'mo', 'mohamed', 'muhammad', 'hamada'],
  ['oluwaseun', 'seun'],
  ['chinedu', 'nedu'],
  ['adaeze', 'ada'],
];

/** Folded name → indexes of the groups it belongs to. */
const MEMBERSHIP: ReadonlyMap<string, readonly number[]> = (() => {
  const map = new Map<string, number[]>();
  GROUPS.forEach((group, i) => {
    for (const name of group) {
      const key = foldName(name);
      const list = map.get(key) ?? [];
      if (!list.includes(i)) list.push(i);
      map.set(key, list);
    }
  });
  return map;
})();

/** Whether two folded given names are forms of one name (and not the same string). */
export function areNicknames(a: string, b: string): boolean {
  if (a === b) return false;
  const ga = MEMBERSHIP.get(a);
  const gb = MEMBERSHIP.get(b);
  if (!ga || !gb) return false;
  return ga.some((g) => gb.includes(g));
}

/** The group keys of a folded name (for blocking: nickname and formal name share a key). */
export function nicknameGroups(name: string): readonly number[] {
  return MEMBERSHIP.get(name) ?? [];
}
