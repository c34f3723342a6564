import { Migration } from '@mikro-orm/migrations';

/**
 * The global exercise list every user sees (owner_id null). Fixed ids and ON CONFLICT DO NOTHING:
 * running it again (or on a database that already has them) changes nothing.
 */
export const GLOBAL_EXERCISES: [id: string, name: string, type: string, primaryMuscle: string | null][] = [
  ['18d0185e-292a-5034-a18f-8533db4e8435', 'Bench Press', 'strength', 'chest'],
  ['97c37157-0d2f-5bb8-b419-5d93fc66361d', 'Incline Bench Press', 'strength', 'chest'],
  ['e6ab31bc-137c-5167-9fec-70992a7d2eb7', 'Dumbbell Fly', 'strength', 'chest'],
  ['e3119004-9957-5056-b20a-fed5f0cf3bd4', 'Push-up', 'strength', 'chest'],
  ['1c5d3275-e142-58d9-acfe-94096388e3ec', 'Squat', 'strength', 'quadriceps'],
  ['c11ccd6a-2cc6-5d01-9300-4e5fa2fa9b6e', 'Front Squat', 'strength', 'quadriceps'],
  ['9e6d1014-c3bb-5179-b2a7-0fa355ed3ee2', 'Leg Press', 'strength', 'quadriceps'],
  ['4b132ab3-2b9c-5ae4-818c-c134d2478f5f', 'Lunge', 'strength', 'glutes'],
  ['fe211de4-6107-5a04-9514-e21c89ab8c4b', 'Deadlift', 'strength', 'back'],
  ['ba03b705-1401-528c-b46f-97bff484301d', 'Romanian Deadlift', 'strength', 'hamstrings'],
  ['e02d3c80-9e56-5d6c-b7c2-760a6255cd8f', 'Overhead Press', 'strength', 'shoulders'],
  ['b7f816c8-4598-5524-b393-ec63a93e41b8', 'Lateral Raise', 'strength', 'shoulders'],
  ['44031ac5-13a5-5b49-896a-90d9439a511b', 'Pull-up', 'strength', 'back'],
  ['80406d2b-9a19-59ca-9b7c-9bafcdcf7e06', 'Lat Pulldown', 'strength', 'back'],
  ['23afc682-fb8a-5cb1-ace0-c2e18c54aefa', 'Barbell Row', 'strength', 'back'],
  ['437f99e8-8a8e-56de-8e43-f20ecf22515b', 'Bicep Curl', 'strength', 'biceps'],
  ['49fcdb0a-c003-5805-ba78-c2c590234d4a', 'Tricep Pushdown', 'strength', 'triceps'],
  ['c8ccc8cf-e640-5ee9-b32e-682838c005d5', 'Dip', 'strength', 'triceps'],
  ['3f3d9938-dccf-5303-bf48-ae71fd68fc6f', 'Calf Raise', 'strength', 'calves'],
  ['b99c6385-1b3b-5654-b27b-6a284d2decb4', 'Plank', 'strength', 'core'],
  ['641409ef-d30a-58b3-bc98-afaaebc2580b', 'Running', 'cardio', null],
  ['3f49b5a0-63f8-5074-a06e-ff00f1b21ee2', 'Cycling', 'cardio', null],
  ['e1d64c01-5ef8-5a8e-9dd5-3dd37c5a010e', 'Rowing Machine', 'cardio', null],
  ['9c9dd914-f453-5194-ac1a-59304954a342', 'Jump Rope', 'cardio', null],
];

/** A SQL string literal of a constant above. */
const literal = (value: string | null) => (value === null ? 'null' : `'${value.replaceAll("'", "''")}'`);

export class Migration20261123094800_seed_global_exercises extends Migration {
  override async up(): Promise<void> {
    // addSql, not execute: queued statements run after the runner has set this service's schema.
    const rows = GLOBAL_EXERCISES.map(
      ([id, name, type, primaryMuscle]) =>
        `(${literal(id)}, null, ${literal(name)}, ${literal(name.toLowerCase())}, ${literal(type)}, ${literal(primaryMuscle)}, true, now(), now())`,
    );
    this.addSql(
      'insert into "exercises" ("id", "owner_id", "name", "name_key", "type", "primary_muscle", "is_active", "created_at", "updated_at") values ' +
        rows.join(', ') +
        ' on conflict ("id") do nothing',
    );
  }
}
