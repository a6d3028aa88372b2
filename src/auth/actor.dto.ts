/** Who acted: a key, a user, a household (its own claim), or the system. */
export class ActorRefView {
  /** `key`, `user`, `household`, `job` or `platform`. */
  type!: string;
  id!: string;
  name!: string;
}
