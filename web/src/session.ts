/** Who is signed in, as the console knows it; the session itself is only the HttpOnly cookie. */
export interface SignedInUser {
  id: string;
  username: string;
  role?: string;
}
