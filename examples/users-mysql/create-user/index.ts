// create-user: the function of examples/users, unchanged (the queries differ, not the code).
export { run } from "../../users/create-user/index";
