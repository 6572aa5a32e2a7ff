// The Charlson comorbidity categories as coded in ICD-10 by Quan H, Sundararajan V, Halfon P, et al.
// "Coding algorithms for defining comorbidities in ICD-9-CM and ICD-10 administrative data."
// Med Care 2005;43(11):1130-9, Table 1 (the "enhanced ICD-10" Charlson column), with the weights of
// Charlson ME, Pompei P, Ales KL, MacKenzie CR. J Chronic Dis 1987;40(5):373-83.
// Codes are kept as prefixes without the dot: `I25.2` matches I25.2 and its children; `I21` every
// I21.x. ICD-10-CM codes share these stems and are matched the same way.
//
// SNOMED CT concepts are mapped to the ICD-10 code they map to in the SNOMED CT to ICD-10 map
// (SNOMED International / NLM "SNOMED CT to ICD-10-CM Map", default target), and scored through the
// same table, so one list of categories decides both. The generator's Conditions (src/generate/
// conditions.ts) carry both codings; the map serves data coded in SNOMED CT only.
import { lookupTable } from '../../lookup-table';

export type CharlsonCategory =
  | 'myocardialInfarction' | 'congestiveHeartFailure' | 'peripheralVascular' | 'cerebrovascular' | 'dementia'
  | 'chronicPulmonary' | 'rheumatic' | 'pepticUlcer' | 'mildLiver' | 'diabetes' | 'diabetesComplicated'
  | 'hemiplegia' | 'renal' | 'malignancy' | 'severeLiver' | 'metastaticSolidTumour' | 'hiv';

/** Expands `C00-C26` into C00…C26 (same letter, numeric stems of one length). */
function range(from: string, to: string): string[] {
  const letter = from.slice(0, 1);
  const width = from.length - 1;
  const out: string[] = [];
  for (let n = Number(from.slice(1)); n <= Number(to.slice(1)); n++) out.push(letter + String(n).padStart(width, '0'));
  return out;
}
const each = (stems: string[], digits: string) => stems.flatMap((s) => [...digits].map((d) => s + d));
const DIABETES_STEMS = ['E10', 'E11', 'E12', 'E13', 'E14'];

export const CHARLSON: Record<CharlsonCategory, { label: string; weight: number; icd10: string[] }> = {
  myocardialInfarction: { label: 'Myocardial infarction', weight: 1, icd10: ['I21', 'I22', 'I252'] },
  congestiveHeartFailure: { label: 'Congestive heart failure', weight: 1,
    icd10: ['I099', 'I110', 'I130', 'I132', 'I255', 'I420', ...range('I425', 'I429'), 'I43', 'I50', 'P290'] },
  peripheralVascular: { label: 'Peripheral vascular disease', weight: 1,
    icd10: ['I70', 'I71', 'I731', 'I738', 'I739', 'I771', 'I790', 'I792', 'K551', 'K558', 'K559', 'Z958', 'Z959'] },
  cerebrovascular: { label: 'Cerebrovascular disease', weight: 1, icd10: ['G45', 'G46', 'H340', ...range('I60', 'I69')] },
  dementia: { label: 'Dementia', weight: 1, icd10: [...range('F00', 'F03'), 'F051', 'G30', 'G311'] },
  chronicPulmonary: { label: 'Chronic pulmonary disease', weight: 1,
    icd10: ['I278', 'I279', ...range('J40', 'J47'), ...range('J60', 'J67'), 'J684', 'J701', 'J703'] },
  rheumatic: { label: 'Rheumatic disease', weight: 1, icd10: ['M05', 'M06', 'M315', ...range('M32', 'M34'), 'M351', 'M353', 'M360'] },
  pepticUlcer: { label: 'Peptic ulcer disease', weight: 1, icd10: range('K25', 'K28') },
  mildLiver: { label: 'Mild liver disease', weight: 1,
    icd10: ['B18', ...range('K700', 'K703'), 'K709', ...range('K713', 'K715'), 'K717', 'K73', 'K74', 'K760', ...range('K762', 'K764'), 'K768', 'K769', 'Z944'] },
  diabetes: { label: 'Diabetes without chronic complication', weight: 1, icd10: each(DIABETES_STEMS, '01689') },
  diabetesComplicated: { label: 'Diabetes with chronic complication', weight: 2, icd10: each(DIABETES_STEMS, '23457') },
  hemiplegia: { label: 'Hemiplegia or paraplegia', weight: 2,
    icd10: ['G041', 'G114', 'G801', 'G802', 'G81', 'G82', ...range('G830', 'G834'), 'G839'] },
  renal: { label: 'Renal disease', weight: 2,
    icd10: ['I120', 'I131', ...range('N032', 'N037'), ...range('N052', 'N057'), 'N18', 'N19', 'N250', ...range('Z490', 'Z492'), 'Z940', 'Z992'] },
  malignancy: { label: 'Any malignancy, including lymphoma and leukaemia, except malignant neoplasm of skin', weight: 2,
    icd10: [...range('C00', 'C26'), ...range('C30', 'C34'), ...range('C37', 'C41'), 'C43', ...range('C45', 'C58'), ...range('C60', 'C76'), ...range('C81', 'C85'), 'C88', ...range('C90', 'C97')] },
  severeLiver: { label: 'Moderate or severe liver disease', weight: 3,
    icd10: ['I850', 'I859', 'I864', 'I982', 'K704', 'K711', 'K721', 'K729', 'K765', 'K766', 'K767'] },
  metastaticSolidTumour: { label: 'Metastatic solid tumour', weight: 6, icd10: range('C77', 'C80') },
  hiv: { label: 'AIDS/HIV', weight: 6, icd10: ['B20', 'B21', 'B22', 'B24'] },
};

/** A milder category is not counted when its severe form is present (Quan 2005's hierarchy). */
export const SUPERSEDED_BY: Partial<Record<CharlsonCategory, CharlsonCategory>> = {
  diabetes: 'diabetesComplicated',
  mildLiver: 'severeLiver',
  malignancy: 'metastaticSolidTumour',
};

/**
 * SNOMED CT concept -> ICD-10 target of the SNOMED CT to ICD-10 map. The first block is every
 * chronic and acute problem the generator records (its Conditions pair the same two codes); the
 * second, common concepts of the categories the generator does not produce.
 */
export const SNOMED_TO_ICD10: Record<string, string> = lookupTable({
  // generator (src/generate/conditions.ts)
  '414916001': 'E66.9', '55822004': 'E78.5', '38341003': 'I10', '44054006': 'E11.9', '709044004': 'N18.9',
  '84114007': 'I50.9', '49436004': 'I48.9', '13645005': 'J44.9', '195967001': 'J45.9', '35489007': 'F32.9',
  '40930008': 'E03.9', '239873007': 'M17.9', '10509002': 'J20.9', '444814009': 'J01.9', '195662009': 'J02.9',
  '68566005': 'N39.0', '44465007': 'S93.4', '233604007': 'J18.9', '29857009': 'R07.4', '25374005': 'A09',
  // other Charlson conditions
  '22298006': 'I21.9', // Myocardial infarction
  '42343007': 'I50.0', // Congestive heart failure
  '400047006': 'I73.9', // Peripheral vascular disease
  '230690007': 'I64', // Cerebrovascular accident
  '266257000': 'G45.9', // Transient ischemic attack
  '52448006': 'F03', // Dementia
  '26929004': 'G30.9', // Alzheimer's disease
  '69896004': 'M06.9', // Rheumatoid arthritis
  '55464009': 'M32.9', // Systemic lupus erythematosus
  '13200003': 'K27.9', // Peptic ulcer
  '19943007': 'K74.6', // Cirrhosis of liver
  '46635009': 'E10.9', // Diabetes mellitus type 1
  '127013003': 'E11.2', // Disorder of kidney due to diabetes mellitus
  '50582007': 'G81.9', // Hemiplegia
  '433146000': 'N18.5', // Chronic kidney disease stage 5
  '86406008': 'B24', // Human immunodeficiency virus infection
});

const ICD_INDEX: Array<[string, CharlsonCategory]> = (Object.keys(CHARLSON) as CharlsonCategory[])
  .flatMap((c) => CHARLSON[c].icd10.map((stem): [string, CharlsonCategory] => [stem, c]))
  // Longest stem first, so I25.2 (myocardial infarction) is tried before a shorter stem.
  .sort((a, b) => b[0].length - a[0].length);

/** The Charlson category of an ICD-10 code (with or without the dot), if any. */
export function charlsonCategoryOfIcd10(code: string): CharlsonCategory | undefined {
  const stem = code.replace('.', '').toUpperCase();
  return ICD_INDEX.find(([s]) => stem.startsWith(s))?.[1];
}

export const ICD10_SYSTEMS = ['http://hl7.org/fhir/sid/icd-10', 'http://hl7.org/fhir/sid/icd-10-cm'];
export const SNOMED_SYSTEM = 'http://snomed.info/sct';
