/**
 * Name and place vocabularies for synthetic people. Names come in cultural groups so that a person's
 * given and family names fit together; the lists are written for this project (no external corpus).
 */
import type { Random } from './random';
import { lookupTable } from '../lookup-table';

interface NameCulture {
  weight: number;
  /** BCP-47 tag of the language most people of this group would ask to be seen in. */
  language: string;
  female: readonly string[];
  male: readonly string[];
  family: readonly string[];
}

const CULTURES: readonly NameCulture[] = [
  {
    weight: 40, // English-speaking
    language: 'en-US',
    female: ['Mary', 'Elizabeth', 'Margaret', 'Katherine', 'Jennifer', 'Susan', 'Emily', 'Olivia', 'Abigail', 'Charlotte', 'Rebecca', 'Patricia', 'Deborah', 'Hannah', 'Grace', 'Victoria', 'Samantha', 'Rachel', 'Megan', 'Dorothy'],
    male: ['William', 'Robert', 'Michael', 'James', 'Richard', 'Thomas', 'Charles', 'Joseph', 'Daniel', 'Matthew', 'Andrew', 'Edward', 'Benjamin', 'Christopher', 'Anthony', 'Jonathan', 'Samuel', 'Henry', 'Nicholas', 'Timothy'],
    family: ['Smith', 'Johnson', 'Williams', 'Brown', 'Miller', 'Wilson', 'Taylor', 'Anderson', 'Thompson', 'Harris', 'Clark', 'Lewis', 'Walker', 'Hall', 'Young', 'Wright', 'Hill', 'Green', 'Baker', 'Mitchell', 'Campbell', 'Parker', 'Collins', 'Stewart', 'Morris', 'Murphy', 'Cooper', 'Bennett', 'Hughes', 'Foster'],
  },
  {
    weight: 18, // Spanish-speaking
    language: 'es',
    female: ['María', 'Guadalupe', 'Lucía', 'Sofía', 'Valentina', 'Camila', 'Isabel', 'Ana', 'Carmen', 'Rosa', 'Daniela', 'Fernanda', 'Elena', 'Paula', 'Teresa'],
    male: ['José', 'Francisco', 'Alejandro', 'Juan', 'Luis', 'Carlos', 'Jorge', 'Miguel', 'Diego', 'Manuel', 'Javier', 'Ricardo', 'Eduardo', 'Santiago', 'Mateo'],
    family: ['García', 'Rodríguez', 'Martínez', 'Hernández', 'López', 'González', 'Pérez', 'Sánchez', 'Ramírez', 'Torres', 'Flores', 'Rivera', 'Gómez', 'Díaz', 'Morales', 'Ortiz', 'Castillo', 'Jiménez', 'Vargas', 'Romero'],
  },
  {
    weight: 7, // Chinese
    language: 'zh',
    female: ['Mei', 'Li', 'Xiu', 'Ying', 'Hui', 'Jing', 'Lan', 'Fang', 'Yan', 'Xin'],
    male: ['Wei', 'Jun', 'Hao', 'Ming', 'Lei', 'Jian', 'Tao', 'Bo', 'Qiang', 'Yong'],
    family: ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Xu', 'Sun', 'Lin', 'Guo'],
  },
  {
    weight: 7, // South Asian
    language: 'hi',
    female: ['Priya', 'Anjali', 'Deepa', 'Kavya', 'Sunita', 'Aisha', 'Meera', 'Lakshmi', 'Pooja', 'Shreya'],
    male: ['Arjun', 'Rahul', 'Vikram', 'Sanjay', 'Amit', 'Ravi', 'Karthik', 'Anil', 'Rohan', 'Suresh'],
    family: ['Patel', 'Sharma', 'Singh', 'Kumar', 'Gupta', 'Reddy', 'Iyer', 'Nair', 'Desai', 'Mehta', 'Chopra', 'Rao'],
  },
  {
    weight: 6, // Arabic-speaking
    language: 'ar',
    female: ['Fatima', 'Layla', 'Noor', 'Mariam', 'Yasmin', 'Huda', 'Amira', 'Salma', 'Rania', 'Zainab'],
    male: ['Mohammed', 'Ahmed', 'Omar', 'Ali', 'Hassan', 'Khalid', 'Youssef', 'Ibrahim', 'Tariq', 'Karim'],
    family: ['Haddad', 'Khalil', 'Mansour', 'Nasser', 'Saleh', 'Hamdan', 'Farouk', 'Aziz', 'Suleiman', 'Qasim'],
  },
  {
    weight: 8, // West and East African
    language: 'en-US',
    female: ['Ngozi', 'Amara', 'Chiamaka', 'Adaeze', 'Folake', 'Wanjiru', 'Zawadi', 'Abena', 'Ama', 'Nia'],
    male: ['Chinedu', 'Oluwaseun', 'Emeka', 'Kwame', 'Kofi', 'Tunde', 'Jabari', 'Baraka', 'Obinna', 'Femi'],
    family: ['Okafor', 'Adeyemi', 'Okonkwo', 'Mensah', 'Owusu', 'Mwangi', 'Otieno', 'Balogun', 'Eze', 'Nwosu', 'Abubakar', 'Kamau'],
  },
  {
    weight: 5, // Vietnamese and Korean
    language: 'en-US',
    female: ['Linh', 'Thao', 'Hoa', 'Trang', 'Ji-woo', 'Seo-yeon', 'Min-ji', 'Hye-jin'],
    male: ['Minh', 'Duc', 'Tuan', 'Quang', 'Min-jun', 'Ji-ho', 'Sung-min', 'Dong-hyun'],
    family: ['Nguyen', 'Tran', 'Le', 'Pham', 'Hoang', 'Kim', 'Lee', 'Park', 'Choi', 'Jung'],
  },
  {
    weight: 9, // Central and Eastern European
    language: 'pl',
    female: ['Anna', 'Katarzyna', 'Magdalena', 'Olga', 'Irina', 'Natalia', 'Ewa', 'Svetlana', 'Agnieszka', 'Marta'],
    male: ['Piotr', 'Tomasz', 'Krzysztof', 'Dmitri', 'Sergei', 'Andrzej', 'Pavel', 'Marek', 'Stefan', 'Nikolai'],
    family: ['Nowak', 'Kowalski', 'Wiśniewski', 'Ivanov', 'Petrov', 'Novák', 'Horvat', 'Schneider', 'Müller', 'Kovács', 'Zieliński', 'Popescu'],
  },
];

const CULTURE_WEIGHTS = CULTURES.map((c) => c.weight);

/** Familiar forms people give at registration desks; the source of "nickname" duplicates. */
export const NICKNAMES: Readonly<Record<string, string>> = lookupTable({
  William: 'Bill', Robert: 'Bob', Michael: 'Mike', James: 'Jim', Richard: 'Dick', Thomas: 'Tom',
  Charles: 'Chuck', Joseph: 'Joe', Daniel: 'Dan', Matthew: 'Matt', Andrew: 'Andy', Edward: 'Ted',
  Benjamin: 'Ben', Christopher: 'Chris', Anthony: 'Tony', Jonathan: 'Jon', Samuel: 'Sam',
  Nicholas: 'Nick', Timothy: 'Tim', Elizabeth: 'Liz', Margaret: 'Peggy', Katherine: 'Kate',
  Jennifer: 'Jen', Susan: 'Sue', Abigail: 'Abby', Patricia: 'Patty', Deborah: 'Debbie',
  Victoria: 'Vicky', Samantha: 'Sam', Rebecca: 'Becky', Dorothy: 'Dot', José: 'Pepe',
  Francisco: 'Paco', Alejandro: 'Alex', Guadalupe: 'Lupe', Eduardo: 'Lalo', Mohammed: 'Mo',
  Katarzyna: 'Kasia', Dmitri: 'Dima', Natalia: 'Natasha', Oluwaseun: 'Seun',
});

export interface PersonName {
  given: string[];
  family: string;
  language: string;
}

export function personName(random: Random, sex: 'female' | 'male'): PersonName {
  const culture = random.weighted(CULTURES, CULTURE_WEIGHTS);
  const firsts = sex === 'female' ? culture.female : culture.male;
  const given = [random.pick(firsts)];
  // About a third of people register a middle name.
  if (random.chance(0.35)) {
    const middle = random.pick(firsts);
    if (middle !== given[0]) given.push(middle);
  }
  return { given, family: random.pick(culture.family), language: culture.language };
}

export const STREET_NAMES: readonly string[] = [
  'Maple', 'Oak', 'Cedar', 'Lakeview', 'Hillcrest', 'Riverside', 'Park', 'Washington', 'Lincoln',
  'Main', 'Church', 'Mill', 'Spring', 'Willow', 'Highland', 'Sunset', 'Meadow', 'Orchard', 'Harbor',
  'Birch', 'Elm', 'Prairie', 'Summit', 'Franklin', 'Jefferson', 'Madison', 'Chestnut', 'Pine',
];
export const STREET_KINDS: readonly string[] = ['Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Court', 'Boulevard', 'Way'];

/** The fictional region the synthetic population lives in: towns with a centre point and a ZIP prefix. */
export interface Town {
  name: string;
  latitude: number;
  longitude: number;
  postalPrefix: string;
  weight: number;
}

export const STATE = 'MN';
export const TOWNS: readonly Town[] = [
  { name: 'Northbridge', latitude: 44.9778, longitude: -93.265, postalPrefix: '554', weight: 30 },
  { name: 'Cedar Falls', latitude: 45.0105, longitude: -93.4555, postalPrefix: '554', weight: 15 },
  { name: 'Lakeshore', latitude: 44.8408, longitude: -93.2983, postalPrefix: '554', weight: 14 },
  { name: 'Millbrook', latitude: 45.1608, longitude: -93.2349, postalPrefix: '553', weight: 10 },
  { name: 'Pinewood', latitude: 44.7319, longitude: -93.2177, postalPrefix: '550', weight: 9 },
  { name: 'Riverton', latitude: 44.9537, longitude: -93.09, postalPrefix: '551', weight: 12 },
  { name: 'Oak Prairie', latitude: 45.5579, longitude: -94.1632, postalPrefix: '563', weight: 6 },
  { name: 'Harbor Point', latitude: 46.7867, longitude: -92.1005, postalPrefix: '558', weight: 4 },
];
export const TOWN_WEIGHTS = TOWNS.map((t) => t.weight);
